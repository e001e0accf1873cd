// The convolution plan: one problem's weights packed for one algorithm and one
// ISA level, plus the drivers that run each algorithm.
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>
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
    // F(6x6) only: the same convolution packed for F(4x4), for the strips of
    // 4x4 tiles along the output's edges (winograd.cpp, edge_split): 36/64 more
    // packed weights, for 6.75 % fewer products on 28x28 and 56x56 maps.
    std::unique_ptr<fovea_conv_plan> edge;
    // Winograd only: the packed weights stay in cache from run to run (a
    // small model's, fovea_conv_plan_create_in_model), so the products skip
    // the aids for weights that stream from memory (gemm::streaming_aids_pay).
    bool weights_cached = false;
};

namespace fovea::conv {

// Geometry shared by the drivers, derived from a run-time descriptor.
struct Problem {
    fovea_conv_desc d;
    int64_t in_channels_per_group, out_channels_per_group;
    int64_t kernel_volume;  // kd * kh * kw
    int64_t in_image, out_image;  // floats per batch item
    // A residual sum fused into the output stage (fovea_conv_plan_run_residual):
    // each stored tile becomes act(tile + residual), the residual read at the
    // tile's offset from `output`; d.activation is then none.
    const float *residual = nullptr;
    const float *output = nullptr;
    fovea_activation residual_activation{};
};

Problem make_problem(const fovea_conv_desc &desc);

// Output channels per group rounded up to the microkernel's panel width.
int64_t padded_group_width(const fovea_conv_plan &plan);

// Packing and running, per algorithm.
void pack_gemm_weights(fovea_conv_plan &plan, const float *w);
size_t direct_workspace_size(const fovea_conv_plan &plan, const Problem &p);
// Whether the direct convolution splits a tile's depth into slices, keeping
// partial sums in the output between them.
bool direct_runs_by_slices(const fovea_conv_plan &plan, const Problem &p);
void run_direct(const fovea_conv_plan &plan, const Problem &p, const float *x, float *y,
                void *workspace);
bool gemm_is_pointwise(const fovea_conv_desc &d);
// Im2col rows of output pixels [first, first + rows) of one image (xn) and
// group g: kernel_volume * Cg values per row, taps in (kd, kh, kw) order.
void im2col_rows(const Problem &p, const float *xn, int64_t first, int64_t rows, int64_t g, float *columns);
// A 1x1 unpadded convolution with a stride: GEMM gathers the pixels it reads.
bool gemm_is_subsampling(const fovea_conv_desc &d);
// With `minimum`, the least the run can work with: one thread's im2col slice, or
// the whole gathered matrix of a strided 1x1 convolution.
size_t gemm_workspace_size(const fovea_conv_plan &plan, const Problem &p, bool minimum = false);
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

using gemm::applied_after_store;

// Applies the activations the microkernels do not fuse (sigmoid, tanh) to an
// m x n block of rows ldc apart.
void finish_activation(const fovea_activation &activation, float *c, int64_t m, int64_t n,
                       int64_t ldc);

// The microkernel that direct and GEMM runs call for problem p: the plan's,
// or one sharing its packing that suits p's size better (gemm::ukernel_for_rows).
inline gemm::UkernelInfo run_ukernel(const fovea_conv_plan &plan, const Problem &p) {
    return gemm::ukernel_for_rows(plan.ukernel, p.kernel_volume * p.in_channels_per_group,
                                  p.d.out_size[0] * p.d.out_size[1] * p.d.out_size[2]);
}

using gemm::EvenCalls;

// Weights larger than L1 that a few short calls would each read whole, from
// L2, go over slice by slice instead: every call takes a slice while it is in
// L1, keeping its partial sums in the output (conv_direct.cpp, winograd.cpp).
using gemm::kL1PanelBytes;
// Depth steps per slice of a panel nr floats wide: half of L1, whole lines.
inline int64_t slice_depth(int64_t nr) {
    return std::max<int64_t>(16, kL1PanelBytes / 2 / (nr * int64_t(sizeof(float))) / 16 * 16);
}

// Whether stored tiles need finish_tile: a residual to add, or an activation
// the microkernels leave out.
inline bool finishes_tiles(const Problem &p) { return p.residual || applied_after_store(p.d.activation); }

// Hands the residual of the tile at args.c, and the activation that follows
// it, to a microkernel that adds residuals itself (UkernelInfo::adds_residual);
// returns whether it did.
inline bool fuse_residual(const fovea_conv_plan &plan, const Problem &p, gemm::UkernelArgs &args) {
    if (!p.residual || !plan.ukernel.adds_residual) return false;
    args.residual = p.residual + (args.c - p.output);
    args.activation = p.residual_activation;
    return true;
}

// Asks for the lines of the output tile at c (m x n, rows ldc apart) to be
// written, and for its residual to be read, ahead of its microkernel call. A
// 1x1 convolution with many output channels stores a tile's rows a whole
// output row apart, which the hardware prefetchers do not follow: fetched
// while the tile before it computes, ResNet-50's 1x1 + residual layers took
// 4-10 % less time with cold activations (Zen 2: 128->512 on 28x28 1.90 ->
// 1.77-1.83 ms, 256->1024 on 14x14 1.54-1.59 -> 1.39-1.43).
inline void prefetch_tile(const Problem &p, const float *c, int64_t m, int64_t n, int64_t ldc) {
    constexpr int64_t kLineFloats = 16;
    for (int64_t row = 0; row < m; ++row)
        for (int64_t column = 0; column < n; column += kLineFloats) {
            const int64_t offset = row * ldc + column;
            __builtin_prefetch(c + offset, 1, 3);
            if (p.residual) __builtin_prefetch(p.residual + (c - p.output) + offset, 0, 3);
        }
}

// What follows the store of an m x n tile of the output, rows ldc apart: the
// residual sum (unless the microkernel added it) and its activation, or the
// activations the microkernels do not fuse.
void finish_tile(const Problem &p, bool residual_added, float *c, int64_t m, int64_t n, int64_t ldc);

// The 2-D geometry of a descriptor whose depth axis is 1, into the argument
// struct of a planar kernel family (depthwise, weight gradient): they name
// these fields alike.
template <class Args>
inline void copy_planar_geometry(const fovea_conv_desc &d, Args &a) {
    a.height = d.in_size[1];
    a.width = d.in_size[2];
    a.channels = d.in_channels;
    a.out_height = d.out_size[1];
    a.out_width = d.out_size[2];
    a.kernel_h = d.kernel[1];
    a.kernel_w = d.kernel[2];
    a.stride_h = d.stride[1];
    a.stride_w = d.stride[2];
    a.dilation_h = d.dilation[1];
    a.dilation_w = d.dilation[2];
    a.pad_top = d.pad_begin[1];
    a.pad_left = d.pad_begin[2];
}

}  // namespace fovea::conv
