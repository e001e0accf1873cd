// Fast transposed convolution (groups == 1): a pointwise GEMM through a
// convolution plan computes every (input pixel, kernel tap) product,
// columns[i][k][:] = x[i] * w[k] (M channels each), and a gather sums each
// output pixel's contributions in tap order. Grouped ones use the reference.
#include <memory>
#include <vector>

#include "common/aligned_buffer.h"
#include "common/guard.h"
#include "conv/col2im_kernels.h"
#include "conv/conv_plan.h"
#include "dispatch/dispatch.h"
#include "threadpool/threadpool.h"

namespace fovea::conv {
namespace {

col2im::Kernel gather_for(fovea_isa isa) {
#if defined(__x86_64__)
    if (isa_allows(isa, FOVEA_ISA_AVX512)) return col2im::kernel_avx512();
    if (isa_allows(isa, FOVEA_ISA_AVX2)) return col2im::kernel_avx2();
#endif
    (void)isa;
    return col2im::kernel_scalar();
}

int64_t taps_of(const fovea_conv_desc &d) { return d.kernel[0] * d.kernel[1] * d.kernel[2]; }
int64_t in_pixels(const fovea_conv_desc &d) { return d.in_size[0] * d.in_size[1] * d.in_size[2]; }

// The pointwise convolution C -> taps * M over all input pixels.
fovea_conv_desc pointwise(const fovea_conv_desc &d) {
    fovea_conv_desc p{};
    p.batch = d.batch;
    p.in_channels = d.in_channels;
    p.out_channels = taps_of(d) * d.out_channels;
    p.groups = 1;
    for (int a = 0; a < 3; ++a) {
        p.in_size[a] = p.out_size[a] = d.in_size[a];
        p.kernel[a] = p.stride[a] = p.dilation[a] = 1;
    }
    p.activation = {FOVEA_ACTIVATION_NONE, 0, 0};
    return p;
}

size_t columns_bytes(const fovea_conv_desc &d) {
    return round_to_cache_line(size_t(d.batch * in_pixels(d) * taps_of(d) * d.out_channels) * sizeof(float));
}

}  // namespace

fovea_status transpose_workspace_size(const fovea_conv_desc *d, size_t *bytes) {
    if (d->groups != 1) {
        *bytes = 0;
        return FOVEA_STATUS_SUCCESS;
    }
    fovea_conv_desc p = pointwise(*d);
    fovea_conv_plan *plan = nullptr;
    std::vector<float> zeros(size_t(p.in_channels * p.out_channels), 0.0f);
    fovea_status status = fovea_conv_plan_create(&p, FOVEA_CONV_ALGORITHM_GEMM, zeros.data(), nullptr, &plan);
    if (status != FOVEA_STATUS_SUCCESS) return status;
    size_t gemm_bytes = 0;
    status = fovea_conv_plan_workspace_size(plan, &p, &gemm_bytes);
    fovea_conv_plan_destroy(plan);
    *bytes = columns_bytes(*d) + gemm_bytes;
    return status;
}

fovea_status transpose_forward(const fovea_conv_desc *d, const float *x, const float *w, const float *bias,
                               float *y, void *workspace, size_t workspace_bytes) {
    if (d->groups != 1) return fovea_reference_conv_transpose_forward(d, x, w, bias, y);
    size_t needed = 0;
    fovea_status status = transpose_workspace_size(d, &needed);
    if (status != FOVEA_STATUS_SUCCESS) return status;
    if (workspace_bytes < needed) return FOVEA_STATUS_INSUFFICIENT_WORKSPACE;
    const int64_t taps = taps_of(*d), M = d->out_channels, C = d->in_channels;
    // w is [taps][M][C]; the pointwise weight is [C][taps * M] (HWIO of a 1x1 kernel).
    AlignedBuffer packed(size_t(C * taps * M));
    for (int64_t k = 0; k < taps; ++k)
        for (int64_t m = 0; m < M; ++m)
            for (int64_t c = 0; c < C; ++c) packed.data()[c * taps * M + k * M + m] = w[(k * M + m) * C + c];
    fovea_conv_desc p = pointwise(*d);
    fovea_conv_plan *raw = nullptr;
    status = fovea_conv_plan_create(&p, FOVEA_CONV_ALGORITHM_GEMM, packed.data(), nullptr, &raw);
    if (status != FOVEA_STATUS_SUCCESS) return status;
    std::unique_ptr<fovea_conv_plan, void (*)(fovea_conv_plan *)> plan(raw, fovea_conv_plan_destroy);
    float *columns = static_cast<float *>(workspace);
    const size_t offset = columns_bytes(*d);
    status = fovea_conv_plan_run(plan.get(), &p, x, columns, static_cast<char *>(workspace) + offset,
                                 workspace_bytes - offset);
    if (status != FOVEA_STATUS_SUCCESS) return status;
    col2im::Args a{};
    a.columns = columns;
    a.bias = bias;
    a.y = y;
    a.channels = M;
    for (int i = 0; i < 3; ++i) {
        a.in_size[i] = d->in_size[i];
        a.out_size[i] = d->out_size[i];
        a.kernel[i] = d->kernel[i];
        a.stride[i] = d->stride[i];
        a.dilation[i] = d->dilation[i];
        a.pad_begin[i] = d->pad_begin[i];
    }
    a.activation = d->activation;
    const col2im::Kernel gather = gather_for(plan->isa);
    const int64_t rows = d->batch * d->out_size[0] * d->out_size[1];
    parallel_for(rows, grain_for(rows, 1), [&](int64_t begin, int64_t end) {
        gather(a, begin, end);
        if (applied_after_store(d->activation))
            finish_activation(d->activation, y + begin * d->out_size[2] * M, end - begin, d->out_size[2] * M,
                              d->out_size[2] * M);
    });
    return FOVEA_STATUS_SUCCESS;
}

}  // namespace fovea::conv
