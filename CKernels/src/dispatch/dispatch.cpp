#include "dispatch/dispatch.h"

#include <cstdlib>
#include <cstring>

#include "dispatch/families.h"

namespace fovea {
namespace {

fovea_isa parse_isa(const char *name, fovea_isa fallback) {
    if (name == nullptr) return fallback;
    if (std::strcmp(name, "avx512") == 0) return FOVEA_ISA_AVX512;
    if (std::strcmp(name, "avx2") == 0) return FOVEA_ISA_AVX2;
    if (std::strcmp(name, "neon") == 0) return FOVEA_ISA_NEON;
    if (std::strcmp(name, "scalar") == 0) return FOVEA_ISA_SCALAR;
    return fallback;
}

fovea_isa clamp_to_detected(fovea_isa cap) {
    const fovea_isa detected = isa_from_features(cpu_features());
    return isa_allows(detected, cap) ? cap : detected;
}

std::atomic<int> &cap_storage() {
    static std::atomic<int> cap{static_cast<int>(
        clamp_to_detected(parse_isa(std::getenv("FOVEA_ISA"), FOVEA_ISA_AVX512)))};
    return cap;
}

std::atomic<unsigned> g_epoch{1};

}  // namespace

fovea_isa active_isa() { return static_cast<fovea_isa>(cap_storage().load()); }

unsigned dispatch_epoch() { return g_epoch.load(std::memory_order_acquire); }

fovea_isa family_isa(fovea_family family) {
    switch (family) {
        case FOVEA_FAMILY_GEMM: return gemm_dispatch().isa();
        case FOVEA_FAMILY_CONV: return conv_dispatch().isa();
        case FOVEA_FAMILY_CONV_TRANSPOSE: return conv_transpose_dispatch().isa();
        case FOVEA_FAMILY_POOL: return pool_dispatch().isa();
        case FOVEA_FAMILY_NORM: return norm_dispatch().isa();
        case FOVEA_FAMILY_ACTIVATION: return activation_dispatch().isa();
        case FOVEA_FAMILY_ELEMENTWISE: return binary_dispatch().isa();
        case FOVEA_FAMILY_LAYOUT: return layout_dispatch().isa();
        case FOVEA_FAMILY_RESIZE: return resize_dispatch().isa();
        case FOVEA_FAMILY_GRAM: return gram_dispatch().isa();
        case FOVEA_FAMILY_COUNT: break;
    }
    return FOVEA_ISA_SCALAR;
}

}  // namespace fovea

extern "C" {

uint32_t fovea_cpu_features(void) { return fovea::cpu_features(); }

int fovea_cpu_splits_512bit_fma(void) { return fovea::cpu_splits_512bit_fma() ? 1 : 0; }
int fovea_cpu_is_intel(void) { return fovea::cpu_is_intel() ? 1 : 0; }

fovea_isa fovea_isa_detected(void) { return fovea::isa_from_features(fovea::cpu_features()); }

fovea_isa fovea_isa_active(void) { return fovea::active_isa(); }

void fovea_isa_set_cap(fovea_isa cap) {
    fovea::cap_storage().store(static_cast<int>(fovea::clamp_to_detected(cap)));
    fovea::g_epoch.fetch_add(1, std::memory_order_acq_rel);
}

const char *fovea_isa_name(fovea_isa isa) {
    switch (isa) {
        case FOVEA_ISA_SCALAR: return "scalar";
        case FOVEA_ISA_NEON: return "neon";
        case FOVEA_ISA_AVX2: return "avx2";
        case FOVEA_ISA_AVX512: return "avx512";
    }
    return "unknown";
}

const char *fovea_family_name(fovea_family family) {
    static const char *const names[FOVEA_FAMILY_COUNT] = {
        "gemm", "conv", "conv_transpose", "pool", "norm",
        "activation", "elementwise", "layout", "resize", "gram"};
    if (family < 0 || family >= FOVEA_FAMILY_COUNT) return nullptr;
    return names[family];
}

fovea_isa fovea_family_isa(fovea_family family) { return fovea::family_isa(family); }

}  // extern "C"
