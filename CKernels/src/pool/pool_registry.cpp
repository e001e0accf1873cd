// Pooling implementations, most preferred first; the reference kernels are last
// and accept everything.
#include "common/guard.h"
#include "dispatch/families.h"
#include "pool/pool_kernels.h"
#include "threadpool/threadpool.h"

namespace fovea {
namespace {

// The vectorised kernels, split across threads by output rows (forward) or
// images (global): every output element is written by one chunk.
enum class Window { max, average, lp };

template <pool::Kernels (*Get)(), Window Kind>
fovea_status window_forward(const fovea_pool_desc *d, const float *x, float *y) {
    const pool::Kernels k = Get();
    const auto kernel = Kind == Window::max ? k.max : Kind == Window::average ? k.avg : k.lp;
    const int64_t rows = d->batch * d->out_size[0] * d->out_size[1];
    parallel_for(rows, grain_for(rows, 1), [&](int64_t begin, int64_t end) { kernel(*d, x, y, begin, end); });
    return FOVEA_STATUS_SUCCESS;
}

// Split by images (both gradients): each image's input gradient belongs to one chunk.
template <pool::Kernels (*Get)()>
fovea_status average_backward(const fovea_pool_desc *d, const float *dy, float *dx) {
    const pool::Kernels k = Get();
    parallel_for(d->batch, 1, [&](int64_t begin, int64_t end) { k.avg_backward(*d, dy, dx, begin, end); });
    return FOVEA_STATUS_SUCCESS;
}

template <pool::Kernels (*Get)()>
fovea_status maximum_backward(const fovea_pool_desc *d, const float *x, const float *dy, float *dx) {
    const pool::Kernels k = Get();
    parallel_for(d->batch, 1, [&](int64_t begin, int64_t end) { k.max_backward(*d, x, dy, dx, begin, end); });
    return FOVEA_STATUS_SUCCESS;
}

template <pool::Kernels (*Get)(), bool Max>
fovea_status global_forward(int64_t batch, int64_t spatial, int64_t channels, const float *x, float *y) {
    const pool::Kernels k = Get();
    parallel_for(batch, 1, [&](int64_t begin, int64_t end) {
        (Max ? k.global_max : k.global_avg)(spatial, channels, x, y, begin, end);
    });
    return FOVEA_STATUS_SUCCESS;
}

template <pool::Kernels (*Get)()>
constexpr PoolTable vectorised() {
    return {window_forward<Get, Window::max>, window_forward<Get, Window::average>,
            window_forward<Get, Window::lp>,  maximum_backward<Get>,
            average_backward<Get>,            global_forward<Get, false>,
            global_forward<Get, true>};
}

const Implementation<PoolTable> kPoolImplementations[] = {
#if defined(__x86_64__)
    {FOVEA_ISA_AVX512, vectorised<pool::kernels_avx512>()},
    {FOVEA_ISA_AVX2, vectorised<pool::kernels_avx2>()},
#endif
    {FOVEA_ISA_SCALAR, vectorised<pool::kernels_scalar>()},
};

}  // namespace

Dispatch<PoolTable> &pool_dispatch() {
    static Dispatch<PoolTable> dispatch(kPoolImplementations);
    return dispatch;
}

}  // namespace fovea

extern "C" fovea_status fovea_pool_max_forward(const fovea_pool_desc *desc, const float *x,
                                               float *y) {
    return fovea::guarded([&] { return fovea::pool_dispatch().table().max_forward(desc, x, y); });
}

extern "C" fovea_status fovea_pool_avg_forward(const fovea_pool_desc *desc, const float *x,
                                               float *y) {
    return fovea::guarded([&] { return fovea::pool_dispatch().table().avg_forward(desc, x, y); });
}

extern "C" fovea_status fovea_pool_lp_forward(const fovea_pool_desc *desc, const float *x,
                                              float *y) {
    return fovea::guarded([&] { return fovea::pool_dispatch().table().lp_forward(desc, x, y); });
}

extern "C" fovea_status fovea_pool_max_backward(const fovea_pool_desc *desc, const float *x,
                                                const float *dy, float *dx) {
    return fovea::guarded(
        [&] { return fovea::pool_dispatch().table().max_backward(desc, x, dy, dx); });
}

extern "C" fovea_status fovea_pool_avg_backward(const fovea_pool_desc *desc, const float *dy,
                                                float *dx) {
    return fovea::guarded(
        [&] { return fovea::pool_dispatch().table().avg_backward(desc, dy, dx); });
}

extern "C" fovea_status fovea_pool_global_avg_forward(int64_t batch, int64_t spatial,
                                                      int64_t channels, const float *x, float *y) {
    return fovea::guarded([&] {
        return fovea::pool_dispatch().table().global_avg_forward(batch, spatial, channels, x, y);
    });
}

extern "C" fovea_status fovea_pool_global_max_forward(int64_t batch, int64_t spatial,
                                                      int64_t channels, const float *x, float *y) {
    return fovea::guarded([&] {
        return fovea::pool_dispatch().table().global_max_forward(batch, spatial, channels, x, y);
    });
}
