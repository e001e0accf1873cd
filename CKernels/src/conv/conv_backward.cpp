// Convolution backward passes on the fast kernels (groups == 1; other group
// counts take the reference kernels).
//
// ∂L/∂x is, at stride 1, a forward convolution with the flipped kernel;
// otherwise the transposed convolution of ∂L/∂y with the same weight and
// geometry, which runs as one GEMM plus a gather (conv_transpose.cpp).
// ∂L/∂w is im2col(x)ᵀ · ∂L/∂y: blocks of im2col rows multiplied into the
// weight gradient with the SGEMM, accumulating over blocks and images in a
// fixed order, so the result does not depend on the thread count. Layers
// with at most two vectors of output channels skip the im2col copy
// (convgrad/filter_grad_kernels.h).
#include <algorithm>
#include <memory>
#include <vector>

#include "common/guard.h"
#include "conv/conv_plan.h"
#include "convgrad/filter_grad_kernels.h"
#include "dispatch/dispatch.h"
#include "common/workspace.h"
#include "threadpool/threadpool.h"
#include "reference/reference.h"

namespace fovea::conv {
namespace {

// With stride 1, ∂L/∂x is a forward convolution of ∂L/∂y with the kernel
// flipped in space and its channel axes swapped, padded by (k − 1)·dilation
// minus the forward padding: the fast forward kernels (Winograd included)
// then serve the backward pass. Returns false when the padding would be
// negative (a forward padding wider than the kernel).
bool backward_data_as_convolution(const fovea_conv_desc &d, const float *dy, const float *w, float *dx,
                                  fovea_status &status) {
    fovea_conv_desc f = d;
    f.in_channels = d.out_channels;
    f.out_channels = d.in_channels;
    f.activation = fovea_activation{FOVEA_ACTIVATION_NONE, 0, 0};
    for (int a = 0; a < 3; ++a) {
        if (d.stride[a] != 1) return false;
        const int64_t extent = (d.kernel[a] - 1) * d.dilation[a];
        f.in_size[a] = d.out_size[a];
        f.out_size[a] = d.in_size[a];
        f.pad_begin[a] = extent - d.pad_begin[a];
        f.pad_end[a] = d.in_size[a] - d.out_size[a] - f.pad_begin[a] + extent;
        if (f.pad_begin[a] < 0 || f.pad_end[a] < 0) return false;
    }
    const int64_t taps = d.kernel[0] * d.kernel[1] * d.kernel[2];
    const int64_t C = d.in_channels, K = d.out_channels;
    std::vector<float> flipped(size_t(taps * C * K));
    for (int64_t t = 0; t < taps; ++t)
        for (int64_t c = 0; c < C; ++c)
            for (int64_t k = 0; k < K; ++k) flipped[size_t((t * K + k) * C + c)] = w[((taps - 1 - t) * C + c) * K + k];
    fovea_conv_plan *plan = nullptr;
    status = fovea_conv_plan_create(&f, FOVEA_CONV_ALGORITHM_AUTO, flipped.data(), nullptr, &plan);
    if (status != FOVEA_STATUS_SUCCESS) return true;
    std::unique_ptr<fovea_conv_plan, void (*)(fovea_conv_plan *)> owner(plan, fovea_conv_plan_destroy);
    size_t bytes = 0;
    status = fovea_conv_plan_workspace_size(plan, &f, &bytes);
    if (status != FOVEA_STATUS_SUCCESS) return true;
    Workspace workspace(bytes);
    if (bytes && !workspace.get()) {
        status = FOVEA_STATUS_OUT_OF_MEMORY;
        return true;
    }
    status = fovea_conv_plan_run(plan, &f, dy, dx, workspace.get(), bytes);
    return true;
}

}  // namespace

fovea_status backward_data_fast(const fovea_conv_desc *desc, const float *dy, const float *w, float *dx) {
    if (desc->groups != 1) return fovea_reference_conv_backward_data(desc, dy, w, dx);
    return guarded([&] {
        fovea_status status = FOVEA_STATUS_SUCCESS;
        if (backward_data_as_convolution(*desc, dy, w, dx, status)) return status;
        // The transposed operation maps y-shaped inputs to x-shaped outputs;
        // its weight [kernel..., out / groups, in] is the forward HWIO weight.
        fovea_conv_desc t = *desc;
        t.in_channels = desc->out_channels;
        t.out_channels = desc->in_channels;
        for (int a = 0; a < 3; ++a) {
            t.in_size[a] = desc->out_size[a];
            t.out_size[a] = desc->in_size[a];
        }
        t.activation = fovea_activation{FOVEA_ACTIVATION_NONE, 0, 0};
        size_t bytes = 0;
        status = transpose_workspace_size(&t, &bytes);
        if (status != FOVEA_STATUS_SUCCESS) return status;
        Workspace workspace(bytes);
        if (bytes && !workspace.get()) return FOVEA_STATUS_OUT_OF_MEMORY;
        return transpose_forward(&t, dy, w, nullptr, dx, workspace.get(), bytes);
    });
}

namespace {

// The direct weight-gradient kernel of the active level and its vector width.
convgrad::FilterKernel filter_kernel(int &lanes) {
#if defined(__x86_64__)
    const fovea_isa isa = active_isa();
    if (isa_allows(isa, FOVEA_ISA_AVX512)) return lanes = 16, convgrad::filter_kernel_avx512();
    if (isa_allows(isa, FOVEA_ISA_AVX2)) return lanes = 8, convgrad::filter_kernel_avx2();
#endif
    return lanes = 4, convgrad::filter_kernel_scalar();
}

// 1-D and 2-D convolutions with few output channels: no im2col. Returns false
// when the layer is not one of those.
bool backward_filter_direct(const fovea_conv_desc &d, const float *x, const float *dy, float *dw) {
    if (d.kernel[0] != 1 || d.in_size[0] != 1 || d.out_size[0] != 1) return false;
    int lanes = 0;
    const convgrad::FilterKernel kernel = filter_kernel(lanes);
    const int64_t most = convgrad::max_taps_per_chunk(d.out_channels, lanes);
    if (most == 0) return false;
    const int64_t taps = d.kernel[1] * d.kernel[2] * d.in_channels;
    // Equal chunks, as few as the registers allow, at least one per thread.
    int64_t chunks = (taps + most - 1) / most;
    const int64_t pixels = d.batch * d.out_size[1] * d.out_size[2];
    if (pixels * taps * d.out_channels >= (int64_t(1) << 18))
        chunks = std::min<int64_t>(taps, std::max<int64_t>(chunks, fovea_threads_get()));
    convgrad::FilterArgs base{};
    base.x = x;
    base.dy = dy;
    base.dw = dw;
    base.batch = d.batch;
    copy_planar_geometry(d, base);
    base.out_channels = d.out_channels;
    base.taps_per_chunk = (taps + chunks - 1) / chunks;
    chunks = (taps + base.taps_per_chunk - 1) / base.taps_per_chunk;
    parallel_for(chunks, 1, [&](int64_t begin, int64_t end) {
        convgrad::FilterArgs a = base;
        a.chunk_begin = begin;
        a.chunk_end = end;
        kernel(a);
    });
    return true;
}

}  // namespace

fovea_status backward_filter_fast(const fovea_conv_desc *desc, const float *x, const float *dy, float *dw) {
    if (desc->groups != 1) return fovea_reference_conv_backward_filter(desc, x, dy, dw);
    return guarded([&] {
        if (backward_filter_direct(*desc, x, dy, dw)) return FOVEA_STATUS_SUCCESS;
        const Problem p = make_problem(*desc);
        const fovea_conv_desc &d = p.d;
        const int64_t depth = p.kernel_volume * d.in_channels, K = d.out_channels;
        const int64_t pixels = d.out_size[0] * d.out_size[1] * d.out_size[2];
        // Rows per block: enough depth per GEMM to run well, a bounded workspace.
        const int64_t block = std::max<int64_t>(1, std::min<int64_t>(pixels, (int64_t(1) << 20) / std::max<int64_t>(depth, 1)));
        Workspace workspace(size_t(block * depth) * sizeof(float));
        if (!workspace.get()) return FOVEA_STATUS_OUT_OF_MEMORY;
        float *columns = static_cast<float *>(workspace.get());
        fovea_gemm_desc g{};
        g.m = depth;
        g.n = K;
        g.trans_a = 1;  // columns are stored rows x depth: op(A) = columnsᵀ
        g.lda = depth;
        g.ldb = K;
        g.ldc = K;
        g.alpha = 1;
        bool first = true;
        for (int64_t n = 0; n < d.batch; ++n) {
            for (int64_t start = 0; start < pixels; start += block) {
                const int64_t rows = std::min(block, pixels - start);
                im2col_rows(p, x + n * p.in_image, start, rows, 0, columns);
                g.k = rows;
                g.beta = first ? 0.0f : 1.0f;
                const fovea_status status = fovea_gemm(&g, columns, dy + n * p.out_image + start * K, nullptr, dw);
                if (status != FOVEA_STATUS_SUCCESS) return status;
                first = false;
            }
        }
        if (first) std::fill(dw, dw + depth * K, 0.0f);  // no pixels at all
        return FOVEA_STATUS_SUCCESS;
    });
}

fovea_status backward_bias_fast(const fovea_conv_desc *desc, const float *dy, float *db) {
    return guarded([&] {
        const int64_t channels = desc->out_channels;
        const int64_t pixels = desc->batch * desc->out_size[0] * desc->out_size[1] * desc->out_size[2];
        // Row by row, all channels at once (the loop vectorises over channels),
        // in a fixed order: the same sum whatever the thread count.
        std::fill(db, db + channels, 0.0f);
        for (int64_t p = 0; p < pixels; ++p) {
            const float *row = dy + p * channels;
            for (int64_t c = 0; c < channels; ++c) db[c] += row[c];
        }
        return FOVEA_STATUS_SUCCESS;
    });
}

}  // namespace fovea::conv
