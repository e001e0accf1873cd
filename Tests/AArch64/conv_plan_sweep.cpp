// The convolution plans against the reference kernel: every algorithm (direct,
// GEMM, Winograd F(2x2), F(4x4), F(6x6)) over randomised shapes (odd sizes,
// channel counts that are not multiples of the vector width, batch > 1,
// asymmetric padding, strides, dilations, groups), with and without a bias, a
// residual sum and each fused activation. Tolerances are those of
// Tests/FoveaTests/ConvolutionAlgorithmTests.swift, relative to the result
// before its activation (sweep.h).
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <limits>
#include <vector>

#include "reference/reference.h"
#include "sweep.h"

namespace sweep {
namespace {

struct Algorithm {
    fovea_conv_algorithm id;
    const char *name;
    float tolerance;
};

constexpr Algorithm kAlgorithms[] = {
    {FOVEA_CONV_ALGORITHM_DIRECT, "direct", 1e-5f},     {FOVEA_CONV_ALGORITHM_GEMM, "gemm", 1e-5f},
    {FOVEA_CONV_ALGORITHM_WINOGRAD_2, "winograd F2", 1e-5f}, {FOVEA_CONV_ALGORITHM_WINOGRAD_4, "winograd F4", 1e-4f},
    {FOVEA_CONV_ALGORITHM_WINOGRAD_6, "winograd F6", 2e-4f},
};

int64_t output_extent(int64_t in, int64_t kernel, int64_t stride, int64_t dilation, int64_t lo, int64_t hi) {
    const int64_t span = (kernel - 1) * dilation + 1;
    return in + lo + hi < span ? 0 : (in + lo + hi - span) / stride + 1;
}

// The kinds of problem a trial draws: any convolution the algorithm accepts;
// a 1x1 one (unpadded, stride 1 or 2: the GEMM's pointwise and subsampling
// paths, with channel counts whose weights outgrow the tile-major path); a
// deep one (panels larger than L1, which the direct and Winograd drivers
// multiply slice by slice where the streaming aids pay, as on NEON).
enum class Kind { any, pointwise, deep };

// A random 2-D problem of `kind` that `algorithm` accepts (Winograd: 3x3,
// stride and dilation 1, one group).
fovea_conv_desc random_problem(fovea_conv_algorithm algorithm, Kind kind) {
    const bool winograd = algorithm >= FOVEA_CONV_ALGORITHM_WINOGRAD_2 && algorithm <= FOVEA_CONV_ALGORITHM_WINOGRAD_6;
    if (winograd && kind == Kind::pointwise) kind = Kind::any;
    for (;;) {
        fovea_conv_desc d{};
        d.batch = pick(1, 2);
        d.groups = winograd || kind != Kind::any ? 1 : (pick(0, 3) == 0 ? pick(2, 3) : 1);
        switch (kind) {
            case Kind::any:
                d.in_channels = d.groups * pick(1, winograd ? 37 : 21);
                d.out_channels = d.groups * pick(1, winograd ? 70 : 40);
                break;
            case Kind::pointwise:
                d.in_channels = pick(1, 300);
                d.out_channels = pick(1, 300);
                break;
            case Kind::deep:
                d.in_channels = winograd ? pick(770, 900) : pick(90, 200);
                d.out_channels = pick(1, 24);
                break;
        }
        d.in_size[0] = d.out_size[0] = d.kernel[0] = d.stride[0] = d.dilation[0] = 1;
        const bool subsampling = kind == Kind::pointwise && pick(0, 2) == 0;
        for (int axis = 1; axis < 3; ++axis) {
            d.in_size[axis] = pick(1, kind == Kind::deep ? 9 : kind == Kind::pointwise ? 16 : 23);
            d.kernel[axis] = kind == Kind::pointwise ? 1 : winograd || kind == Kind::deep ? 3 : pick(1, 5);
            d.stride[axis] = subsampling ? 2 : winograd || kind != Kind::any ? 1 : pick(1, 2);
            d.dilation[axis] = winograd || kind != Kind::any ? 1 : (pick(0, 3) == 0 ? 2 : 1);
            d.pad_begin[axis] = kind == Kind::pointwise ? 0 : pick(0, 2);
            d.pad_end[axis] = kind == Kind::pointwise ? 0 : pick(0, 2);
            d.out_size[axis] = output_extent(d.in_size[axis], d.kernel[axis], d.stride[axis], d.dilation[axis],
                                             d.pad_begin[axis], d.pad_end[axis]);
        }
        if (d.out_size[1] >= 1 && d.out_size[2] >= 1 && fovea_conv_algorithm_supported(&d, algorithm)) return d;
    }
}

void check_trial(const Algorithm &algorithm, Kind kind, const char *level, int threads) {
    fovea_conv_desc d = random_problem(algorithm.id, kind);
    const bool residual = pick(0, 2) == 0;
    const fovea_activation after = random_activation();
    d.activation = residual ? fovea_activation{FOVEA_ACTIVATION_NONE, 0, 0} : after;
    const int64_t in_count = d.batch * d.in_size[1] * d.in_size[2] * d.in_channels;
    const int64_t out_count = d.batch * d.out_size[1] * d.out_size[2] * d.out_channels;
    const int64_t w_count = d.kernel[1] * d.kernel[2] * (d.in_channels / d.groups) * d.out_channels;
    const std::vector<float> x = random_values(in_count), w = random_values(w_count);
    const std::vector<float> bias = random_values(d.out_channels), shortcut = random_values(out_count);
    const bool with_bias = pick(0, 1) == 1;

    char what[320];
    std::snprintf(what, sizeof what,
                  "%s %s threads %d: batch %lld in %lldx%lldx%lld out %lld kernel %lldx%lld stride %lld,%lld "
                  "dilation %lld,%lld pad %lld,%lld/%lld,%lld groups %lld activation %d residual %d bias %d",
                  level, algorithm.name, threads, (long long)d.batch, (long long)d.in_size[1],
                  (long long)d.in_size[2], (long long)d.in_channels, (long long)d.out_channels,
                  (long long)d.kernel[1], (long long)d.kernel[2], (long long)d.stride[1], (long long)d.stride[2],
                  (long long)d.dilation[1], (long long)d.dilation[2], (long long)d.pad_begin[1],
                  (long long)d.pad_begin[2], (long long)d.pad_end[1], (long long)d.pad_end[2],
                  (long long)d.groups, int(after.kind), int(residual), int(with_bias));
    fovea_conv_plan *plan = nullptr;
    if (fovea_conv_plan_create(&d, algorithm.id, w.data(), with_bias ? bias.data() : nullptr, &plan) !=
        FOVEA_STATUS_SUCCESS) {
        record(std::numeric_limits<double>::infinity(), algorithm.tolerance, what);
        return;
    }
    size_t bytes = 0;
    fovea_conv_plan_workspace_size(plan, &d, &bytes);
    std::vector<unsigned char> workspace(std::max<size_t>(bytes, 1), 0xA5);
    std::vector<float> fast(static_cast<size_t>(out_count), std::numeric_limits<float>::quiet_NaN());
    std::vector<float> expected(static_cast<size_t>(out_count));
    const fovea_status status =
        residual ? fovea_conv_plan_run_residual(plan, &d, x.data(), shortcut.data(), &after, fast.data(),
                                                workspace.data(), bytes)
                 : fovea_conv_plan_run(plan, &d, x.data(), fast.data(), workspace.data(), bytes);
    fovea_conv_desc linear = d;
    linear.activation = {FOVEA_ACTIVATION_NONE, 0, 0};
    std::vector<float> before(expected.size());
    fovea_reference_conv_forward(&linear, x.data(), w.data(), with_bias ? bias.data() : nullptr, before.data());
    for (size_t i = 0; i < expected.size(); ++i) {
        if (residual) before[i] += shortcut[i];
        expected[i] = fovea::reference::activate(after, before[i]);
    }
    if (residual && status == FOVEA_STATUS_SUCCESS) {
        // The sum written over the shortcut itself: where the plan says it can,
        // the same bits as a separate output; elsewhere refused, the shortcut
        // left as it was.
        int in_place = 0;
        const bool asked = fovea_conv_plan_adds_residual_in_place(plan, &d, &in_place) == FOVEA_STATUS_SUCCESS;
        std::vector<float> over = shortcut;
        const fovea_status over_status = fovea_conv_plan_run_residual(plan, &d, x.data(), over.data(), &after,
                                                                      over.data(), workspace.data(), bytes);
        const bool same_bits = std::memcmp(over.data(), fast.data(), over.size() * sizeof(float)) == 0;
        const bool untouched = std::memcmp(over.data(), shortcut.data(), over.size() * sizeof(float)) == 0;
        const bool fine = asked && (in_place ? over_status == FOVEA_STATUS_SUCCESS && same_bits
                                             : over_status == FOVEA_STATUS_INVALID_ARGUMENT && untouched);
        char in_place_what[400];
        std::snprintf(in_place_what, sizeof in_place_what, "%s, over the shortcut (in place %d)", what, in_place);
        record(fine ? 0.0 : std::numeric_limits<double>::infinity(), algorithm.tolerance, in_place_what);
    }
    fovea_conv_plan_destroy(plan);
    record(status == FOVEA_STATUS_SUCCESS ? relative_error(fast, expected, before)
                                          : std::numeric_limits<double>::infinity(),
           algorithm.tolerance, what);
}

}  // namespace

void conv_plans(const char *level, int threads) {
    for (const Algorithm &algorithm : kAlgorithms)
        for (int trial = 0; trial < 40; ++trial)
            check_trial(algorithm, trial % 8 == 0 ? Kind::deep : trial % 4 == 1 ? Kind::pointwise : Kind::any, level,
                        threads);
}

}  // namespace sweep
