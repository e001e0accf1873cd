// Resize implementations, most preferred first. Every level runs the
// vectorised kernel of resize_kernels.h; the reference one is the truth in
// the tests.
#include <vector>

#include "common/guard.h"
#include "dispatch/families.h"
#include "reference/reference.h"
#include "resize/resize_kernels.h"
#include "threadpool/threadpool.h"

namespace fovea {
namespace {

struct AxisTable {
    std::vector<int64_t> i0, i1;
    std::vector<float> w1;

    AxisTable(const fovea_resize_desc &d, int64_t in, int64_t out, double scale) {
        i0.resize(size_t(out));
        i1.resize(size_t(out));
        w1.resize(size_t(out));
        for (int64_t o = 0; o < out; ++o) {
            const double coordinate = reference::source_coordinate(d.coordinate_mode, o, in, out, scale);
            if (d.mode == FOVEA_RESIZE_NEAREST) {
                i0[size_t(o)] = i1[size_t(o)] = reference::nearest_index(d.nearest_mode, coordinate, in);
                w1[size_t(o)] = 0.0f;
            } else {
                const reference::LinearTap tap = reference::linear_tap(coordinate, in);
                i0[size_t(o)] = tap.i0;
                i1[size_t(o)] = tap.i1;
                w1[size_t(o)] = float(tap.w1);
            }
        }
    }

    resize::Axis view() const { return {i0.data(), i1.data(), w1.data()}; }
};

template <resize::Kernel (*Get)()>
fovea_status forward(const fovea_resize_desc *desc, const float *x, float *y) {
    const fovea_resize_desc &d = *desc;
    const AxisTable rows(d, d.in_height, d.out_height, d.scale_height);
    const AxisTable columns(d, d.in_width, d.out_width, d.scale_width);
    const resize::Args args{x,          y,           d.channels,   d.in_height, d.in_width,
                            d.out_height, d.out_width, d.mode == FOVEA_RESIZE_LINEAR, rows.view(), columns.view()};
    const resize::Kernel kernel = Get();
    const int64_t total = d.batch * d.out_height;
    parallel_for(total, grain_for(total, 1), [&](int64_t begin, int64_t end) { kernel(args, begin, end); });
    return FOVEA_STATUS_SUCCESS;
}

const Implementation<ResizeTable> kResizeImplementations[] = {
#if defined(__x86_64__)
    {FOVEA_ISA_AVX512, {forward<resize::kernel_avx512>}},
    {FOVEA_ISA_AVX2, {forward<resize::kernel_avx2>}},
#endif
    {FOVEA_ISA_SCALAR, {forward<resize::kernel_scalar>}},
};

}  // namespace

Dispatch<ResizeTable> &resize_dispatch() {
    static Dispatch<ResizeTable> dispatch(kResizeImplementations);
    return dispatch;
}

}  // namespace fovea

extern "C" fovea_status fovea_resize_forward(const fovea_resize_desc *desc, const float *x,
                                             float *y) {
    return fovea::guarded([&] { return fovea::resize_dispatch().table().forward(desc, x, y); });
}
