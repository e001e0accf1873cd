// Data-movement implementations, most preferred first; the reference kernel is
// last and accepts everything.
#include "common/guard.h"
#include "dispatch/families.h"
#include "layout/layout_kernels.h"

namespace fovea {
namespace {

const Implementation<LayoutTable> kLayoutImplementations[] = {
    // Portable: memcpy and fill are already vectorised by the C library.
    {FOVEA_ISA_SCALAR,
     {layout::transpose_blocks, layout::pad_blocks, fovea_reference_concat_forward,
      fovea_reference_depth_to_space, fovea_reference_space_to_depth}},
    {FOVEA_ISA_SCALAR,
     {fovea_reference_transpose, fovea_reference_pad_forward, fovea_reference_concat_forward,
      fovea_reference_depth_to_space, fovea_reference_space_to_depth}},
};

}  // namespace

Dispatch<LayoutTable> &layout_dispatch() {
    static Dispatch<LayoutTable> dispatch(kLayoutImplementations);
    return dispatch;
}

}  // namespace fovea

extern "C" fovea_status fovea_transpose(int32_t rank, const int64_t *shape, const int32_t *perm,
                                        const float *x, float *y) {
    return fovea::guarded(
        [&] { return fovea::layout_dispatch().table().transpose(rank, shape, perm, x, y); });
}

extern "C" fovea_status fovea_pad_forward(fovea_pad_mode mode, int32_t rank,
                                          const int64_t *shape, const int64_t *pad_begin,
                                          const int64_t *pad_end, float value, const float *x,
                                          float *y) {
    return fovea::guarded([&] {
        return fovea::layout_dispatch().table().pad_forward(mode, rank, shape, pad_begin,
                                                            pad_end, value, x, y);
    });
}

extern "C" fovea_status fovea_concat_forward(int32_t count, const float *const *inputs,
                                             const int64_t *axis_sizes, int64_t outer,
                                             int64_t inner, float *y) {
    return fovea::guarded([&] {
        return fovea::layout_dispatch().table().concat_forward(count, inputs, axis_sizes, outer,
                                                               inner, y);
    });
}

extern "C" fovea_status fovea_depth_to_space(fovea_depth_space_mode mode, int64_t batch,
                                             int64_t height, int64_t width, int64_t channels,
                                             int64_t block, const float *x, float *y) {
    return fovea::guarded([&] {
        return fovea::layout_dispatch().table().depth_to_space(mode, batch, height, width,
                                                               channels, block, x, y);
    });
}

extern "C" fovea_status fovea_space_to_depth(fovea_depth_space_mode mode, int64_t batch,
                                             int64_t height, int64_t width, int64_t channels,
                                             int64_t block, const float *x, float *y) {
    return fovea::guarded([&] {
        return fovea::layout_dispatch().table().space_to_depth(mode, batch, height, width,
                                                               channels, block, x, y);
    });
}
