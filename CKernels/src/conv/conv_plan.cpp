// Convolution plans: choosing an algorithm, packing weights once, running.
#include "conv/conv_plan.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "common/guard.h"
#include "dispatch/dispatch.h"
#include "dispatch/families.h"
#include "conv/winograd.h"
#include "threadpool/threadpool.h"

namespace fovea::conv {

namespace {
std::atomic<int32_t> g_winograd_enabled{1};
}

Problem make_problem(const fovea_conv_desc &desc) {
    Problem p{};
    p.d = desc;
    p.in_channels_per_group = desc.in_channels / desc.groups;
    p.out_channels_per_group = desc.out_channels / desc.groups;
    p.kernel_volume = desc.kernel[0] * desc.kernel[1] * desc.kernel[2];
    p.in_image = desc.in_size[0] * desc.in_size[1] * desc.in_size[2] * desc.in_channels;
    p.out_image = desc.out_size[0] * desc.out_size[1] * desc.out_size[2] * desc.out_channels;
    return p;
}

int64_t padded_group_width(const fovea_conv_plan &plan) {
    const int64_t kg = plan.desc.out_channels / plan.desc.groups;
    return (kg + plan.ukernel.nr - 1) / plan.ukernel.nr * plan.ukernel.nr;
}

void pack_gemm_weights(fovea_conv_plan &plan, const float *w) {
    const fovea_conv_desc &d = plan.desc;
    const int64_t cg = d.in_channels / d.groups, kg = d.out_channels / d.groups;
    const int64_t depth = d.kernel[0] * d.kernel[1] * d.kernel[2] * cg;
    const int64_t per_group = gemm::packed_size(depth, kg, plan.ukernel.nr);
    plan.packed.resize(size_t(per_group * d.groups));
    for (int64_t g = 0; g < d.groups; ++g)
        gemm::pack_b(depth, kg, w + g * kg, d.out_channels, plan.ukernel.nr, plan.packed.data() + g * per_group);
}

void finish_activation(const fovea_activation &activation, float *c, int64_t m, int64_t n, int64_t ldc) {
    activation_dispatch().table().transcendental_rows(activation.kind, m, n, ldc, c);
}

void finish_tile(const Problem &p, bool residual_added, float *c, int64_t m, int64_t n, int64_t ldc) {
    if (p.residual && residual_added) {
        if (applied_after_store(p.residual_activation)) finish_activation(p.residual_activation, c, m, n, ldc);
    } else if (p.residual)
        activation_dispatch().table().residual_rows(&p.residual_activation, m, n, ldc, c, p.residual + (c - p.output),
                                                    ldc);
    else if (applied_after_store(p.d.activation))
        finish_activation(p.d.activation, c, m, n, ldc);
}

bool is_depthwise_like(const fovea_conv_desc &d) {
    return d.groups > 1 && d.in_channels / d.groups < 4;
}

}  // namespace fovea::conv

using namespace fovea;

extern "C" int32_t fovea_conv_algorithm_supported(const fovea_conv_desc *d,
                                                  fovea_conv_algorithm algorithm) {
    switch (algorithm) {
        case FOVEA_CONV_ALGORITHM_AUTO:
        case FOVEA_CONV_ALGORITHM_REFERENCE:
        case FOVEA_CONV_ALGORITHM_DIRECT:
        case FOVEA_CONV_ALGORITHM_GEMM: return 1;
        case FOVEA_CONV_ALGORITHM_WINOGRAD_2:
        case FOVEA_CONV_ALGORITHM_WINOGRAD_4:
        case FOVEA_CONV_ALGORITHM_WINOGRAD_6: return conv::winograd_applies(*d) ? 1 : 0;
        case FOVEA_CONV_ALGORITHM_DEPTHWISE: return conv::depthwise_applies(*d) ? 1 : 0;
    }
    return 0;
}

extern "C" void fovea_conv_winograd_set_enabled(int32_t enabled) {
    conv::g_winograd_enabled.store(enabled ? 1 : 0);
}

extern "C" int32_t fovea_conv_winograd_enabled(void) { return conv::g_winograd_enabled.load(); }

namespace {

fovea_conv_algorithm choose(const fovea_conv_desc *d, conv::WeightResidence residence) {
    if (conv::depthwise_applies(*d)) return FOVEA_CONV_ALGORITHM_DEPTHWISE;
    if (conv::is_depthwise_like(*d)) return FOVEA_CONV_ALGORITHM_REFERENCE;
    if (conv::gemm_is_pointwise(*d) || conv::gemm_is_subsampling(*d)) return FOVEA_CONV_ALGORITHM_GEMM;
    if (conv::g_winograd_enabled.load() && conv::winograd_applies(*d)) {
        const fovea_conv_algorithm w = conv::winograd_choose(*d, residence);
        if (w != FOVEA_CONV_ALGORITHM_AUTO) return w;
    }
    return FOVEA_CONV_ALGORITHM_DIRECT;
}

}  // namespace

extern "C" fovea_conv_algorithm fovea_conv_algorithm_choose(const fovea_conv_desc *d) {
    return choose(d, conv::WeightResidence::streamed);
}

extern "C" int32_t fovea_conv_weights_stay_cached(int64_t model_weight_bytes) {
    return conv::weight_residence(model_weight_bytes) == conv::WeightResidence::cached ? 1 : 0;
}

extern "C" fovea_conv_algorithm fovea_conv_algorithm_choose_in_model(const fovea_conv_desc *d,
                                                                     int64_t model_weight_bytes) {
    return choose(d, conv::weight_residence(model_weight_bytes));
}

namespace {

// The bias per group, padded to whole panels of the plan's microkernel.
void pack_bias(fovea_conv_plan &plan, const float *bias) {
    if (!bias) return;
    const fovea_conv_desc &d = plan.desc;
    const int64_t kg = d.out_channels / d.groups, width = conv::padded_group_width(plan);
    plan.packed_bias.resize(size_t(width * d.groups));
    for (int64_t g = 0; g < d.groups; ++g)
        std::copy(bias + g * kg, bias + (g + 1) * kg, plan.packed_bias.data() + g * width);
}

}  // namespace

extern "C" fovea_status fovea_conv_plan_create(const fovea_conv_desc *desc,
                                               fovea_conv_algorithm algorithm, const float *w,
                                               const float *bias, fovea_conv_plan **out) {
    return fovea_conv_plan_create_in_model(desc, algorithm, w, bias, 0, out);
}

extern "C" fovea_status fovea_conv_plan_create_in_model(const fovea_conv_desc *desc,
                                                        fovea_conv_algorithm algorithm, const float *w,
                                                        const float *bias, int64_t model_weight_bytes,
                                                        fovea_conv_plan **out) {
    return guarded([&] {
        if (!desc || !w || !out) return FOVEA_STATUS_INVALID_ARGUMENT;
        if (!fovea_conv_algorithm_supported(desc, algorithm)) return FOVEA_STATUS_UNSUPPORTED;
        auto plan = std::make_unique<fovea_conv_plan>();
        plan->desc = *desc;
        plan->algorithm = algorithm == FOVEA_CONV_ALGORITHM_AUTO
                              ? fovea_conv_algorithm_choose_in_model(desc, model_weight_bytes)
                              : algorithm;
        plan->isa = active_isa();
        // The microkernel's tile fits the output channels (Winograd's batched
        // products too: with 32 of them the wide tile did twice the work, and
        // F(4x4) on dlib's 35x35x32 layers ran at 260 effective GFLOP/s
        // against 450 with the 12x32 tile). On Zen 4, where gemm::ukernel_for
        // takes the 16x16 tile more often, F(6x6) keeps to tiles of at most 12
        // rows: with the 16x16 tile it ran slower on three of four shapes where
        // F(4x4) and direct gained (one thread, five interleaved rounds,
        // effective GFLOP/s, 16x16 against the tile taken instead: 3x3 96->112
        // on 28x28 243 against 384, 64->40 on 56x56 190 against 241, 48->48 on
        // 56x56 201 against 264; 64->48 on 28x28 368 against 263). Why is not
        // known: the first of these runs through chunks, the others through
        // fused blocks.
        const bool f6 = plan->algorithm == FOVEA_CONV_ALGORITHM_WINOGRAD_6;
        const int64_t max_rows = f6 && cpu_splits_512bit_fma() ? 12 : INT64_MAX;
        plan->ukernel =
            gemm::ukernel_for(plan->isa, desc->out_channels / std::max<int64_t>(desc->groups, 1), max_rows);
        const fovea_conv_desc &d = plan->desc;
        const int64_t weight_count =
            d.kernel[0] * d.kernel[1] * d.kernel[2] * (d.in_channels / d.groups) * d.out_channels;
        if (bias) plan->bias.assign(bias, bias + d.out_channels);
        switch (plan->algorithm) {
            case FOVEA_CONV_ALGORITHM_REFERENCE:
            case FOVEA_CONV_ALGORITHM_DEPTHWISE: plan->weights.assign(w, w + weight_count); break;
            case FOVEA_CONV_ALGORITHM_DIRECT:
            case FOVEA_CONV_ALGORITHM_GEMM: conv::pack_gemm_weights(*plan, w); break;
            default: conv::pack_winograd_weights(*plan, w); break;
        }
        pack_bias(*plan, bias);
        if (plan->algorithm == FOVEA_CONV_ALGORITHM_WINOGRAD_6) {
            plan->edge = std::make_unique<fovea_conv_plan>();
            fovea_conv_plan &edge = *plan->edge;
            edge.desc = plan->desc;
            edge.algorithm = FOVEA_CONV_ALGORITHM_WINOGRAD_4;
            edge.isa = plan->isa;
            edge.ukernel = plan->ukernel;
            edge.bias = plan->bias;
            conv::pack_winograd_weights(edge, w);
            pack_bias(edge, bias);
        }
        if (plan->algorithm >= FOVEA_CONV_ALGORITHM_WINOGRAD_2 && plan->algorithm <= FOVEA_CONV_ALGORITHM_WINOGRAD_6) {
            plan->weights_cached = conv::winograd_weights_stay_cached(*plan, model_weight_bytes);
            if (plan->edge) plan->edge->weights_cached = plan->weights_cached;
        }
        *out = plan.release();
        return FOVEA_STATUS_SUCCESS;
    });
}

extern "C" void fovea_conv_plan_destroy(fovea_conv_plan *plan) { delete plan; }

extern "C" fovea_conv_algorithm fovea_conv_plan_algorithm(const fovea_conv_plan *plan) {
    return plan->algorithm;
}

namespace {

bool matches(const fovea_conv_plan &plan, const fovea_conv_desc &d) {
    const fovea_conv_desc &p = plan.desc;
    if (p.in_channels != d.in_channels || p.out_channels != d.out_channels || p.groups != d.groups)
        return false;
    for (int a = 0; a < 3; ++a)
        if (p.kernel[a] != d.kernel[a] || p.stride[a] != d.stride[a] || p.dilation[a] != d.dilation[a])
            return false;
    return true;
}

// The workspace a run asks for (enough for every thread), or with `minimum`
// the least it can work with: the paths that give each thread a slice run on
// fewer threads when given less, so a thread count raised between the size
// query and the run does not make the run fail.
size_t workspace_size(const fovea_conv_plan &plan, const conv::Problem &p, bool minimum = false) {
    switch (plan.algorithm) {
        case FOVEA_CONV_ALGORITHM_DIRECT: return conv::direct_workspace_size(plan, p);
        case FOVEA_CONV_ALGORITHM_GEMM:
            return conv::gemm_workspace_size(plan, p, minimum);
        case FOVEA_CONV_ALGORITHM_REFERENCE:
        case FOVEA_CONV_ALGORITHM_DEPTHWISE: return 0;
        default: return conv::winograd_workspace_size(plan, p, minimum);
    }
}

// Whether the plan's algorithm can compute this run's sizes (Winograd and
// depthwise handle one depth slice).
bool runnable(const fovea_conv_plan &plan, const fovea_conv_desc &d) {
    switch (plan.algorithm) {
        case FOVEA_CONV_ALGORITHM_WINOGRAD_2:
        case FOVEA_CONV_ALGORITHM_WINOGRAD_4:
        case FOVEA_CONV_ALGORITHM_WINOGRAD_6: return conv::winograd_applies(d);
        case FOVEA_CONV_ALGORITHM_DEPTHWISE: return conv::depthwise_applies(d);
        default: return true;
    }
}

}  // namespace

extern "C" fovea_status fovea_conv_plan_workspace_size(const fovea_conv_plan *plan,
                                                       const fovea_conv_desc *desc, size_t *bytes) {
    return guarded([&] {
        if (!plan || !desc || !bytes || !matches(*plan, *desc)) return FOVEA_STATUS_INVALID_ARGUMENT;
        *bytes = workspace_size(*plan, conv::make_problem(*desc));
        return FOVEA_STATUS_SUCCESS;
    });
}

namespace {

// Whether the plan adds the residual as it stores each tile of the output
// (direct and GEMM microkernels, Winograd's output transform) rather than in
// a pass over the whole output afterwards.
bool adds_residual_by_tiles(const fovea_conv_plan &plan) {
    switch (plan.algorithm) {
        case FOVEA_CONV_ALGORITHM_DIRECT:
        case FOVEA_CONV_ALGORITHM_GEMM:
        case FOVEA_CONV_ALGORITHM_WINOGRAD_2:
        case FOVEA_CONV_ALGORITHM_WINOGRAD_4:
        case FOVEA_CONV_ALGORITHM_WINOGRAD_6: return true;
        default: return false;
    }
}

// Whether the residual may be the output itself: each output element is then
// read from the residual just before it is written, once, and nothing writes
// the output before (partial sums of depth slices) or sums it afterwards (the
// pass behind depthwise plans, and behind microkernels that leave the
// residual to finish_tile: the portable level's).
bool adds_residual_in_place(const fovea_conv_plan &plan, const conv::Problem &p) {
    if (!adds_residual_by_tiles(plan)) return false;
    switch (plan.algorithm) {
        case FOVEA_CONV_ALGORITHM_GEMM: return plan.ukernel.adds_residual;
        case FOVEA_CONV_ALGORITHM_DIRECT: return plan.ukernel.adds_residual && !conv::direct_runs_by_slices(plan, p);
        default: return true;  // Winograd's output transform
    }
}

fovea_status run_plan(const fovea_conv_plan *plan, conv::Problem &p, const float *x, float *y, void *workspace,
                      size_t workspace_bytes) {
    if (workspace_bytes < workspace_size(*plan, p, true)) return FOVEA_STATUS_INSUFFICIENT_WORKSPACE;
    if (p.residual == y && !adds_residual_in_place(*plan, p)) return FOVEA_STATUS_INVALID_ARGUMENT;
    // Direct, GEMM and Winograd convolutions add the residual tile by tile
    // while it is in cache; the others in one pass afterwards.
    const bool tiled = adds_residual_by_tiles(*plan);
    const float *residual = p.residual;
    if (!tiled) p.residual = nullptr;
    switch (plan->algorithm) {
        case FOVEA_CONV_ALGORITHM_REFERENCE: {
            const fovea_status status = fovea_reference_conv_forward(
                &p.d, x, plan->weights.data(), plan->bias.empty() ? nullptr : plan->bias.data(), y);
            if (status != FOVEA_STATUS_SUCCESS) return status;
            break;
        }
        case FOVEA_CONV_ALGORITHM_DIRECT: conv::run_direct(*plan, p, x, y, workspace); break;
        case FOVEA_CONV_ALGORITHM_GEMM: conv::run_gemm(*plan, p, x, y, workspace, workspace_bytes); break;
        case FOVEA_CONV_ALGORITHM_DEPTHWISE: conv::run_depthwise(*plan, p, x, y); break;
        default: conv::run_winograd(*plan, p, x, y, workspace, workspace_bytes); break;
    }
    if (residual && !tiled) {
        const int64_t rows = p.d.batch * p.d.out_size[0] * p.d.out_size[1], row = p.d.out_size[2] * p.d.out_channels;
        const auto &table = activation_dispatch().table();
        parallel_for(rows, grain_for(rows, std::max<int64_t>(1, 4096 / std::max<int64_t>(row, 1))),
                     [&](int64_t begin, int64_t end) {
                         table.residual_rows(&p.residual_activation, end - begin, row, row, y + begin * row,
                                             residual + begin * row, row);
                     });
    }
    return FOVEA_STATUS_SUCCESS;
}

}  // namespace

extern "C" fovea_status fovea_conv_plan_run(const fovea_conv_plan *plan, const fovea_conv_desc *desc,
                                            const float *x, float *y, void *workspace,
                                            size_t workspace_bytes) {
    return guarded([&] {
        if (!plan || !desc || !matches(*plan, *desc)) return FOVEA_STATUS_INVALID_ARGUMENT;
        if (!runnable(*plan, *desc)) return FOVEA_STATUS_UNSUPPORTED;
        conv::Problem p = conv::make_problem(*desc);
        p.d.activation = plan->desc.activation;
        return run_plan(plan, p, x, y, workspace, workspace_bytes);
    });
}

extern "C" fovea_status fovea_conv_plan_run_residual(const fovea_conv_plan *plan, const fovea_conv_desc *desc,
                                                     const float *x, const float *residual,
                                                     const fovea_activation *activation, float *y,
                                                     void *workspace, size_t workspace_bytes) {
    return guarded([&] {
        if (!plan || !desc || !residual || !activation || !matches(*plan, *desc)) return FOVEA_STATUS_INVALID_ARGUMENT;
        if (plan->desc.activation.kind != FOVEA_ACTIVATION_NONE) return FOVEA_STATUS_INVALID_ARGUMENT;
        if (!runnable(*plan, *desc)) return FOVEA_STATUS_UNSUPPORTED;
        conv::Problem p = conv::make_problem(*desc);
        p.d.activation = fovea_activation{FOVEA_ACTIVATION_NONE, 0, 0};
        p.residual = residual;
        p.output = y;
        p.residual_activation = *activation;
        return run_plan(plan, p, x, y, workspace, workspace_bytes);
    });
}

extern "C" fovea_status fovea_conv_plan_adds_residual_in_place(const fovea_conv_plan *plan,
                                                               const fovea_conv_desc *desc, int *in_place) {
    return guarded([&] {
        if (!plan || !desc || !in_place || !matches(*plan, *desc)) return FOVEA_STATUS_INVALID_ARGUMENT;
        *in_place = runnable(*plan, *desc) && adds_residual_in_place(*plan, conv::make_problem(*desc)) ? 1 : 0;
        return FOVEA_STATUS_SUCCESS;
    });
}

namespace {

struct TuneKey {
    std::string bytes;
    bool operator<(const TuneKey &o) const { return bytes < o.bytes; }
};

std::mutex g_tune_mutex;
std::map<TuneKey, fovea_conv_algorithm> g_tune_cache;

// Built field by field: the descriptor's padding bytes are unspecified.
TuneKey tune_key(const fovea_conv_desc &d) {
    std::string key;
    auto add = [&key](int64_t value) { key.append(reinterpret_cast<const char *>(&value), sizeof value); };
    for (int64_t value : {d.batch, d.in_channels, d.out_channels, d.groups}) add(value);
    for (int a = 0; a < 3; ++a)
        for (int64_t value : {d.in_size[a], d.out_size[a], d.kernel[a], d.stride[a], d.dilation[a], d.pad_begin[a],
                              d.pad_end[a]})
            add(value);
    add(int64_t(active_isa()));
    add(int64_t(fovea_threads_get()));
    return {key};
}

}  // namespace

extern "C" fovea_status fovea_conv_autotune(const fovea_conv_desc *desc, fovea_conv_algorithm *best) {
    return guarded([&] {
        if (!desc || !best) return FOVEA_STATUS_INVALID_ARGUMENT;
        const TuneKey key = tune_key(*desc);
        {
            std::lock_guard<std::mutex> lock(g_tune_mutex);
            auto found = g_tune_cache.find(key);
            if (found != g_tune_cache.end()) {
                *best = found->second;
                return FOVEA_STATUS_SUCCESS;
            }
        }
        const conv::Problem p = conv::make_problem(*desc);
        const int64_t weight_count = p.kernel_volume * p.in_channels_per_group * desc->out_channels;
        AlignedBuffer x{size_t(p.in_image * desc->batch)}, y{size_t(p.out_image * desc->batch)},
            w{size_t(weight_count)};
        for (size_t i = 0; i < x.size(); ++i) x.data()[i] = float(int64_t(i * 2654435761u % 1000)) / 1000.0f - 0.5f;
        for (size_t i = 0; i < w.size(); ++i) w.data()[i] = float(int64_t(i * 40503u % 1000)) / 1000.0f - 0.5f;
        const fovea_conv_algorithm candidates[] = {
            FOVEA_CONV_ALGORITHM_DEPTHWISE, FOVEA_CONV_ALGORITHM_DIRECT, FOVEA_CONV_ALGORITHM_GEMM,
            FOVEA_CONV_ALGORITHM_WINOGRAD_2, FOVEA_CONV_ALGORITHM_WINOGRAD_4, FOVEA_CONV_ALGORITHM_WINOGRAD_6};
        fovea_conv_algorithm chosen = fovea_conv_algorithm_choose(desc);
        double fastest = 1e300;
        for (fovea_conv_algorithm algorithm : candidates) {
            if (!fovea_conv_algorithm_supported(desc, algorithm)) continue;
            fovea_conv_plan *plan = nullptr;
            if (fovea_conv_plan_create(desc, algorithm, w.data(), nullptr, &plan) != FOVEA_STATUS_SUCCESS) continue;
            std::unique_ptr<fovea_conv_plan, void (*)(fovea_conv_plan *)> owner(plan, fovea_conv_plan_destroy);
            size_t bytes = 0;
            fovea_conv_plan_workspace_size(plan, desc, &bytes);
            AlignedBuffer workspace((bytes + sizeof(float) - 1) / sizeof(float));
            double time = 1e300;
            for (int repeat = 0; repeat < 3; ++repeat) {
                const auto start = std::chrono::steady_clock::now();
                if (fovea_conv_plan_run(plan, desc, x.data(), y.data(), workspace.data(), bytes) != FOVEA_STATUS_SUCCESS) break;
                time = std::min(time, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
            }
            if (time < fastest) {
                fastest = time;
                chosen = algorithm;
            }
        }
        // Two threads may have timed the same shape at once: the first answer
        // stands, so that every caller runs the same algorithm.
        std::lock_guard<std::mutex> lock(g_tune_mutex);
        *best = g_tune_cache.emplace(key, chosen).first->second;
        return FOVEA_STATUS_SUCCESS;
    });
}
