// Direct convolution as an implicit GEMM: no im2col copy. The input is
// zero-padded once per image (only when the layer pads), after which every
// output row of a tile reads its window at a fixed stride from the padded
// input, and each kernel tap is a pointer offset handed to the microkernel.
// With groups == 1 and no horizontal dilation, a kernel row's kw * C values are
// contiguous in NHWC, so a whole kernel row is one tap.
#include <algorithm>
#include <cstring>

#include "conv/conv_plan.h"
#include "threadpool/threadpool.h"

namespace fovea::conv {
namespace {

struct PaddedInput {
    int64_t size[3];  // depth, height, width of the padded image
    bool copy;        // false: the input is used as it is
};

PaddedInput padded_input(const Problem &p) {
    const fovea_conv_desc &d = p.d;
    PaddedInput padded{{1, 1, 1}, false};
    for (int a = 0; a < 3; ++a) {
        const int64_t needed = (d.out_size[a] - 1) * d.stride[a] + (d.kernel[a] - 1) * d.dilation[a] + 1;
        padded.size[a] = std::max(needed, d.pad_begin[a] + d.in_size[a]);
        if (d.pad_begin[a] != 0 || padded.size[a] != d.in_size[a]) padded.copy = true;
    }
    return padded;
}

// Writes image x into the padded buffer, zeros around it.
void pad_image(const Problem &p, const PaddedInput &padded, const float *x, float *out) {
    const fovea_conv_desc &d = p.d;
    const int64_t channels = d.in_channels;
    const int64_t row = padded.size[2] * channels;
    const int64_t rows = padded.size[0] * padded.size[1];
    parallel_for(rows, grain_for(rows, 8), [&](int64_t begin, int64_t end) {
        for (int64_t r = begin; r < end; ++r) {
            float *dst = out + r * row;
            const int64_t z = r / padded.size[1] - d.pad_begin[0];
            const int64_t y = r % padded.size[1] - d.pad_begin[1];
            if (z < 0 || z >= d.in_size[0] || y < 0 || y >= d.in_size[1]) {
                std::memset(dst, 0, row * sizeof(float));
                continue;
            }
            const int64_t left = d.pad_begin[2] * channels;
            const int64_t width = d.in_size[2] * channels;
            std::memset(dst, 0, left * sizeof(float));
            std::memcpy(dst + left, x + (z * d.in_size[1] + y) * width, width * sizeof(float));
            std::memset(dst + left + width, 0, (row - left - width) * sizeof(float));
        }
    });
}

}  // namespace

size_t direct_workspace_size(const fovea_conv_plan &, const Problem &p) {
    const PaddedInput padded = padded_input(p);
    if (!padded.copy) return 0;
    return round_to_cache_line(size_t(padded.size[0] * padded.size[1] * padded.size[2]) *
                               size_t(p.d.in_channels) * sizeof(float));
}

void run_direct(const fovea_conv_plan &plan, const Problem &p, const float *x, float *y,
                void *workspace) {
    const fovea_conv_desc &d = p.d;
    const PaddedInput padded = padded_input(p);
    const int64_t C = d.in_channels, K = d.out_channels;
    const int64_t Cg = p.in_channels_per_group, Kg = p.out_channels_per_group;
    const int64_t Hp = padded.size[1], Wp = padded.size[2];
    const int mr = plan.ukernel.mr, nr = plan.ukernel.nr;
    const bool merged = d.groups == 1 && d.dilation[2] == 1;

    std::vector<int64_t> taps;
    for (int64_t kd = 0; kd < d.kernel[0]; ++kd)
        for (int64_t kh = 0; kh < d.kernel[1]; ++kh)
            for (int64_t kw = 0; kw < (merged ? 1 : d.kernel[2]); ++kw)
                taps.push_back(((kd * d.dilation[0] * Hp + kh * d.dilation[1]) * Wp + kw * d.dilation[2]) * C);
    const int64_t kc = merged ? d.kernel[2] * C : Cg;
    const int64_t taps_per_row = merged ? 1 : d.kernel[2];
    const int64_t depth = p.kernel_volume * Cg;
    const int64_t panels = (Kg + nr - 1) / nr;
    const int64_t group_width = padded_group_width(plan);
    const int64_t rows = d.out_size[0] * d.out_size[1];
    const int64_t out_w = d.out_size[2];
    const bool slow_activation = applied_after_store(d.activation);

    for (int64_t n = 0; n < d.batch; ++n) {
        const float *xp = x + n * p.in_image;
        if (padded.copy) {
            pad_image(p, padded, xp, static_cast<float *>(workspace));
            xp = static_cast<const float *>(workspace);
        }
        float *yn = y + n * p.out_image;
        // One loop over (group, panel, output row), panel-major: consecutive
        // items share a panel of weights, which stays in cache, and the whole
        // image is one parallel loop, balanced across threads even when it has
        // few rows.
        const int64_t items = d.groups * panels * rows;
        parallel_for(items, grain_for(items, 1), [&](int64_t begin, int64_t end) {
            gemm::UkernelArgs args{};
            args.a_row_stride = d.stride[2] * C;
            args.kc = kc;
            args.b_tap_stride = kc * nr;
            args.ldc = K;
            args.finish = 1;
            args.activation = d.activation;
            for (int64_t item = begin; item < end; ++item) {
                const int64_t r = item % rows, j = (item / rows) % panels, g = item / (rows * panels);
                const float *panel = plan.packed.data() + (g * panels + j) * depth * nr;
                args.n = std::min<int64_t>(nr, Kg - j * nr);
                args.bias = plan.bias.empty() ? nullptr : plan.packed_bias.data() + g * group_width + j * nr;
                const int64_t od = r / d.out_size[1], oh = r % d.out_size[1];
                const float *origin = xp + ((od * d.stride[0] * Hp + oh * d.stride[1]) * Wp) * C + g * Cg;
                // Kernel rows that fall wholly in the top or bottom padding add
                // nothing: skip them (2-D only, where a row's taps are contiguous).
                int64_t first_row = 0, last_row = d.kernel[1];
                if (d.kernel[0] == 1) {
                    const int64_t top = oh * d.stride[1] - d.pad_begin[1];
                    while (first_row < last_row && top + first_row * d.dilation[1] < 0) ++first_row;
                    while (last_row > first_row && top + (last_row - 1) * d.dilation[1] >= d.in_size[1]) --last_row;
                }
                args.tap_offsets = taps.data() + first_row * taps_per_row;
                args.taps = d.kernel[0] == 1 ? (last_row - first_row) * taps_per_row : int64_t(taps.size());
                args.b = panel + first_row * taps_per_row * kc * nr;
                float *out_row = yn + r * out_w * K + g * Kg + j * nr;
                for (int64_t ow = 0; ow < out_w; ow += mr) {
                    args.a = origin + ow * d.stride[2] * C;
                    args.c = out_row + ow * K;
                    args.m = std::min<int64_t>(mr, out_w - ow);
                    plan.ukernel.kernel(args);
                    if (slow_activation) finish_activation(d.activation, args.c, args.m, args.n, K);
                }
            }
        });
    }
}

}  // namespace fovea::conv
