// Depthwise convolution plans: the weights stay in their HWIO order (each
// kernel tap's channels are contiguous, which is what the kernels read).
#include "conv/conv_plan.h"
#include "dispatch/dispatch.h"
#include "dwconv/dwconv_kernels.h"
#include "threadpool/threadpool.h"

namespace fovea::conv {
namespace {

// Fewer channels than a 16-lane vector would leave the AVX-512 kernel on its
// masked per-pixel path; 8-lane vectors cover 8 to 15 channels whole.
dwconv::Kernel kernel_for(fovea_isa isa, int64_t channels) {
#if defined(__x86_64__)
    if (isa_allows(isa, FOVEA_ISA_AVX512) && channels >= 16) return dwconv::kernel_avx512();
    if (isa_allows(isa, FOVEA_ISA_AVX2)) return dwconv::kernel_avx2();
#endif
    (void)isa;
    return dwconv::kernel_scalar();
}

}  // namespace

bool depthwise_applies(const fovea_conv_desc &d) {
    return d.groups == d.in_channels && d.groups > 1 && d.kernel[0] == 1 && d.in_size[0] == 1 &&
           d.out_size[0] == 1 && d.pad_begin[0] == 0 && d.pad_end[0] == 0;
}

namespace {

dwconv::Args arguments(const fovea_conv_plan &plan, const Problem &p, const float *x, float *y) {
    const fovea_conv_desc &d = p.d;
    dwconv::Args base{};
    base.x = x;
    base.w = plan.weights.data();
    base.bias = plan.bias.empty() ? nullptr : plan.bias.data();
    base.y = y;
    copy_planar_geometry(d, base);
    base.multiplier = d.out_channels / d.in_channels;
    base.activation = d.activation;
    return base;
}

void finish_rows(const fovea_conv_desc &d, float *y, int64_t begin, int64_t end) {
    if (applied_after_store(d.activation))
        finish_activation(d.activation, y + begin * d.out_size[2] * d.out_channels, end - begin,
                          d.out_size[2] * d.out_channels, d.out_size[2] * d.out_channels);
}

}  // namespace

void run_depthwise_rows(const fovea_conv_plan &plan, const Problem &p, const float *x, float *y, int64_t begin,
                        int64_t end) {
    dwconv::Args a = arguments(plan, p, x, y);
    a.row_begin = begin;
    a.row_end = end;
    a.y_first_row = begin;
    kernel_for(plan.isa, p.d.in_channels)(a);
    finish_rows(p.d, y, 0, end - begin);
}

void run_depthwise(const fovea_conv_plan &plan, const Problem &p, const float *x, float *y) {
    const fovea_conv_desc &d = p.d;
    const dwconv::Kernel kernel = kernel_for(plan.isa, d.in_channels);
    const dwconv::Args base = arguments(plan, p, x, y);
    const int64_t rows = d.batch * d.out_size[1];
    // A tiny layer is over in microseconds: splitting it would cost more than
    // it saves. MobileNet's last depthwise layer (7x7x960, 25 us on one Zen 2
    // core) still gains: 35 -> 49-58 GFLOP/s on two threads.
    const int64_t work = rows * d.out_size[2] * d.out_channels * d.kernel[1] * d.kernel[2];
    // Chunks of rows. Narrow maps take one chunk per core: their kernel loads
    // a channel block's weights once per chunk, so 7x7x960 cut into one-row
    // chunks ran at 115 GFLOP/s on one Zen 5 core against 166 uncut. Other
    // maps take an even number of rows, which the AVX-512 kernel computes in
    // pairs (a chunk of 7 left one row of 7 single).
    const int64_t grain = work < (int64_t(1) << 16) ? rows
                          : d.out_size[2] <= 8      ? grain_for(rows, 1, 1)
                                                    : grain_in_steps(rows, 2);
    parallel_for(rows, grain, [&](int64_t begin, int64_t end) {
        dwconv::Args a = base;
        a.row_begin = begin;
        a.row_end = end;
        kernel(a);
        finish_rows(d, y, begin, end);
    });
}

}  // namespace fovea::conv
