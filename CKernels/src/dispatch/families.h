// The function table of every kernel family. A family's implementations are
// listed in its own folder (gemm/gemm_registry.cpp, ...); the entry points of
// the C API call through these tables.
#pragma once

#include "dispatch/dispatch.h"

namespace fovea {

struct GemmTable {
    fovea_status (*gemm)(const fovea_gemm_desc *, const float *, const float *, const float *,
                         float *);
};

struct ConvTable {
    fovea_status (*forward_workspace_size)(const fovea_conv_desc *, size_t *);
    fovea_status (*forward)(const fovea_conv_desc *, const float *, const float *, const float *,
                            float *, void *, size_t);
    fovea_status (*backward_data)(const fovea_conv_desc *, const float *, const float *, float *);
    fovea_status (*backward_filter)(const fovea_conv_desc *, const float *, const float *,
                                    float *);
    fovea_status (*backward_bias)(const fovea_conv_desc *, const float *, float *);
};

struct ConvTransposeTable {
    fovea_status (*forward_workspace_size)(const fovea_conv_desc *, size_t *);
    fovea_status (*forward)(const fovea_conv_desc *, const float *, const float *, const float *,
                            float *, void *, size_t);
};

struct PoolTable {
    fovea_status (*max_forward)(const fovea_pool_desc *, const float *, float *);
    fovea_status (*avg_forward)(const fovea_pool_desc *, const float *, float *);
    fovea_status (*lp_forward)(const fovea_pool_desc *, const float *, float *);
    fovea_status (*max_backward)(const fovea_pool_desc *, const float *, const float *, float *);
    fovea_status (*avg_backward)(const fovea_pool_desc *, const float *, float *);
    fovea_status (*global_avg_forward)(int64_t, int64_t, int64_t, const float *, float *);
    fovea_status (*global_max_forward)(int64_t, int64_t, int64_t, const float *, float *);
};

struct NormTable {
    fovea_status (*batchnorm_forward_inference)(int64_t, int64_t, const float *, const float *,
                                                const float *, const float *, const float *,
                                                float, float *);
    fovea_status (*batchnorm_statistics)(int64_t, int64_t, const float *, float *, float *);
    fovea_status (*batchnorm_backward)(int64_t, int64_t, const float *, const float *, const float *,
                                       const float *, const float *, float, int32_t, float *, float *,
                                       float *);
    fovea_status (*instancenorm_forward)(int64_t, int64_t, int64_t, const float *, const float *,
                                         const float *, float, float *);
};

struct ActivationTable {
    fovea_status (*forward)(const fovea_activation *, int64_t, const float *, float *);
    // Sigmoid or tanh over rows of a block, on the calling thread: what the
    // convolution drivers apply after their stores, tile by tile.
    void (*transcendental_rows)(fovea_activation_kind, int64_t rows, int64_t columns, int64_t stride, float *);
    // c = act(r + c) over rows of a block, on the calling thread: a residual
    // sum fused into a convolution's output stage, tile by tile (the shortcut
    // first, as Keras writes Add([shortcut, x]); only a NaN payload could tell).
    void (*residual_rows)(const fovea_activation *, int64_t rows, int64_t columns, int64_t stride, float *c,
                          const float *r, int64_t r_stride);
    fovea_status (*prelu_forward)(int64_t, int64_t, const float *, const float *, float *);
    fovea_status (*softmax_forward)(int64_t, int64_t, int64_t, const float *, float *);
};

struct BinaryTable {
    fovea_status (*forward)(fovea_binary_op, int32_t, const int64_t *, const float *,
                            const int64_t *, const float *, const int64_t *, float *);
};

struct LayoutTable {
    fovea_status (*transpose)(int32_t, const int64_t *, const int32_t *, const float *, float *);
    fovea_status (*pad_forward)(fovea_pad_mode, int32_t, const int64_t *, const int64_t *,
                                const int64_t *, float, const float *, float *);
    fovea_status (*concat_forward)(int32_t, const float *const *, const int64_t *, int64_t,
                                   int64_t, float *);
    fovea_status (*depth_to_space)(fovea_depth_space_mode, int64_t, int64_t, int64_t, int64_t,
                                   int64_t, const float *, float *);
    fovea_status (*space_to_depth)(fovea_depth_space_mode, int64_t, int64_t, int64_t, int64_t,
                                   int64_t, const float *, float *);
};

struct ResizeTable {
    fovea_status (*forward)(const fovea_resize_desc *, const float *, float *);
};

struct GramTable {
    fovea_status (*forward_workspace_size)(int64_t, int64_t, size_t *);
    fovea_status (*forward)(int64_t, int64_t, int64_t, float, const float *, float *, void *, size_t);
    fovea_status (*backward)(int64_t, int64_t, int64_t, float, const float *, const float *,
                             float *);
};

Dispatch<GemmTable> &gemm_dispatch();
Dispatch<ConvTable> &conv_dispatch();
Dispatch<ConvTransposeTable> &conv_transpose_dispatch();
Dispatch<PoolTable> &pool_dispatch();
Dispatch<NormTable> &norm_dispatch();
Dispatch<ActivationTable> &activation_dispatch();
Dispatch<BinaryTable> &binary_dispatch();
Dispatch<LayoutTable> &layout_dispatch();
Dispatch<ResizeTable> &resize_dispatch();
Dispatch<GramTable> &gram_dispatch();

}  // namespace fovea
