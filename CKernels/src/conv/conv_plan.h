// The convolution plan: one problem's weights packed for one algorithm and one
// ISA level, plus the drivers that run each algorithm.
#pragma once

#include <cstdint>
#include <vector>

#include "common/aligned_buffer.h"
#include "fovea_kernels.h"
#include "gemm/ukernel.h"

struct fovea_conv_plan {
    fovea_conv_desc desc;  // channel, kernel, stride, dilation, groups, activation
    fovea_conv_algorithm algorithm;
    fovea_isa isa;
    fovea::gemm::UkernelInfo ukernel;
    fovea::AlignedBuffer packed;       // algorithm-specific weight layout
    fovea::AlignedBuffer packed_bias;  // per group, padded to whole panels
    std::vector<float> weights;        // the HWIO weights (reference algorithm only)
    std::vector<float> bias;           // empty when there is none
};

namespace fovea::conv {

// Geometry shared by the drivers, derived from a run-time descriptor.
struct Problem {
    fovea_conv_desc d;
    int64_t in_channels_per_group, out_channels_per_group;
    int64_t kernel_volume;  // kd * kh * kw
    int64_t in_image, out_image;  // floats per batch item
};

Problem make_problem(const fovea_conv_desc &desc);

// Output channels per group rounded up to the microkernel's panel width.
int64_t padded_group_width(const fovea_conv_plan &plan);

// Packing and running, per algorithm.
void pack_gemm_weights(fovea_conv_plan &plan, const float *w);
size_t direct_workspace_size(const fovea_conv_plan &plan, const Problem &p);
void run_direct(const fovea_conv_plan &plan, const Problem &p, const float *x, float *y,
                void *workspace);
bool gemm_is_pointwise(const fovea_conv_desc &d);
// Im2col rows of output pixels [first, first + rows) of one image (xn) and
// group g: kernel_volume * Cg values per row, taps in (kd, kh, kw) order.
void im2col_rows(const Problem &p, const float *xn, int64_t first, int64_t rows, int64_t g, float *columns);
size_t gemm_workspace_size(const fovea_conv_plan &plan, const Problem &p);
void run_gemm(const fovea_conv_plan &plan, const Problem &p, const float *x, float *y,
              void *workspace, size_t workspace_bytes);

bool depthwise_applies(const fovea_conv_desc &d);
void run_depthwise(const fovea_conv_plan &plan, const Problem &p, const float *x, float *y);
// Output rows [begin, end) of one image (p.d.batch == 1), on the calling
// thread, into y, which holds just those rows.
void run_depthwise_rows(const fovea_conv_plan &plan, const Problem &p, const float *x, float *y, int64_t begin,
                        int64_t end);

fovea_status transpose_workspace_size(const fovea_conv_desc *d, size_t *bytes);
// Backward passes on the fast kernels (groups == 1; the reference otherwise).
fovea_status backward_data_fast(const fovea_conv_desc *desc, const float *dy, const float *w, float *dx);
fovea_status backward_filter_fast(const fovea_conv_desc *desc, const float *x, const float *dy, float *dw);
fovea_status backward_bias_fast(const fovea_conv_desc *desc, const float *dy, float *db);
fovea_status transpose_forward(const fovea_conv_desc *d, const float *x, const float *w, const float *bias,
                               float *y, void *workspace, size_t workspace_bytes);

// Whether an activation is left out of the microkernels and transforms (sigmoid,
// tanh: exp-based), to be applied by finish_activation after the store.
inline bool applied_after_store(const fovea_activation &activation) {
    return activation.kind == FOVEA_ACTIVATION_SIGMOID || activation.kind == FOVEA_ACTIVATION_TANH;
}

// Applies the activations the microkernels do not fuse (sigmoid, tanh) to an
// m x n block of rows ldc apart.
void finish_activation(const fovea_activation &activation, float *c, int64_t m, int64_t n,
                       int64_t ldc);

}  // namespace fovea::conv
