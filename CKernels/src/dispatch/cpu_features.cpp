// CPU feature detection, done once. x86 asks CPUID and XGETBV (the OS must have
// enabled the AVX and AVX-512 register state, not just the CPU support it).
#include "dispatch/dispatch.h"

#if defined(__x86_64__) || defined(_M_X64)
#include <cpuid.h>
#endif

namespace fovea {
namespace {

#if defined(__x86_64__) || defined(_M_X64)
uint64_t read_xcr0() {
    uint32_t eax, edx;
    __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
    return (uint64_t(edx) << 32) | eax;
}

uint32_t detect() {
    unsigned eax, ebx, ecx, edx;
    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return 0;
    const bool osxsave = ecx & (1u << 27);
    const bool avx = ecx & (1u << 28);
    const bool fma = ecx & (1u << 12);
    const bool f16c = ecx & (1u << 29);
    if (!osxsave || !avx) return 0;
    const uint64_t xcr0 = read_xcr0();
    const bool ymm_state = (xcr0 & 0x6) == 0x6;
    const bool zmm_state = (xcr0 & 0xE6) == 0xE6;
    if (!ymm_state) return 0;
    uint32_t features = 0;
    if (fma) features |= FOVEA_CPU_FEATURE_FMA3;
    if (f16c) features |= FOVEA_CPU_FEATURE_F16C;
    if (__get_cpuid_max(0, nullptr) < 7) return features;
    __cpuid_count(7, 0, eax, ebx, ecx, edx);
    if (ebx & (1u << 5)) features |= FOVEA_CPU_FEATURE_AVX2;
    if (zmm_state) {
        if (ebx & (1u << 16)) features |= FOVEA_CPU_FEATURE_AVX512F;
        if (ebx & (1u << 17)) features |= FOVEA_CPU_FEATURE_AVX512DQ;
        if (ebx & (1u << 30)) features |= FOVEA_CPU_FEATURE_AVX512BW;
        if (ebx & (1u << 31)) features |= FOVEA_CPU_FEATURE_AVX512VL;
    }
    return features;
}
#elif defined(__aarch64__)
uint32_t detect() { return FOVEA_CPU_FEATURE_NEON; }  // Advanced SIMD is mandatory on AArch64
#else
uint32_t detect() { return 0; }
#endif

#if defined(__x86_64__) || defined(_M_X64)
// AMD's family 19h cores with AVX-512 (Zen 4) run each 512-bit FMA as two
// 256-bit halves: the same FLOP/s per core as AVX2, half a Zen 5 core's.
bool detect_split_512bit_fma() {
    unsigned eax, ebx, ecx, edx;
    if (!__get_cpuid(0, &eax, &ebx, &ecx, &edx)) return false;
    const bool amd = ebx == 0x68747541 && edx == 0x69746e65 && ecx == 0x444d4163;  // "AuthenticAMD"
    if (!amd || !__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return false;
    const unsigned family = ((eax >> 8) & 0xF) + ((eax >> 20) & 0xFF);
    return family == 0x19 && (cpu_features() & FOVEA_CPU_FEATURE_AVX512F);
}

bool detect_intel() {
    unsigned eax, ebx, ecx, edx;
    if (!__get_cpuid(0, &eax, &ebx, &ecx, &edx)) return false;
    return ebx == 0x756e6547 && edx == 0x49656e69 && ecx == 0x6c65746e;  // "GenuineIntel"
}

// CPUID 0x80000006 (AMD and Intel alike): ECX[31:16] is the L2 size in KB.
int64_t detect_l2_bytes() {
    unsigned eax, ebx, ecx, edx;
    if (__get_cpuid_max(0x80000000, nullptr) < 0x80000006) return 0;
    __cpuid(0x80000006, eax, ebx, ecx, edx);
    return int64_t(ecx >> 16) << 10;
}

// The cache-topology leaf (0x8000001D on AMD, 4 on Intel) describes the L3
// a core shares; 0x80000006's L3 field can give the whole package's (a Zen 5
// guest: 384 MB for a 32 MB complex).
int64_t detect_l3_bytes() {
    // (On AMD the leaf exists only with TopologyExtensions, 0x80000001 ECX
    // bit 22. The L3 is that of the core that asks first; on parts whose
    // complexes differ (X3D) the choice it feeds may differ from run to run.)
    const unsigned leaf = detect_intel() ? 4 : 0x8000001D;
    if (leaf == 4 ? __get_cpuid_max(0, nullptr) < 4 : __get_cpuid_max(0x80000000, nullptr) < leaf) return 0;
    if (leaf != 4) {
        unsigned eax, ebx, ecx, edx;
        __cpuid(0x80000001, eax, ebx, ecx, edx);
        if (!(ecx & (1u << 22))) return 0;
    }
    for (unsigned index = 0; index < 16; ++index) {
        unsigned eax, ebx, ecx, edx;
        __cpuid_count(leaf, index, eax, ebx, ecx, edx);
        if ((eax & 31) == 0) break;  // no more caches
        if (((eax >> 5) & 7) != 3) continue;
        const int64_t ways = ((ebx >> 22) & 1023) + 1, partitions = ((ebx >> 12) & 1023) + 1,
                      line = (ebx & 4095) + 1, sets = int64_t(ecx) + 1;
        return ways * partitions * line * sets;
    }
    return 0;
}
#else
bool detect_split_512bit_fma() { return false; }
bool detect_intel() { return false; }
int64_t detect_l2_bytes() { return 0; }
int64_t detect_l3_bytes() { return 0; }
#endif

}  // namespace

int64_t cpu_l2_bytes() {
    static const int64_t bytes = detect_l2_bytes();
    return bytes;
}

int64_t cpu_l3_bytes() {
    static const int64_t bytes = detect_l3_bytes();
    return bytes;
}

bool cpu_splits_512bit_fma() {
    static const bool split = detect_split_512bit_fma();
    return split;
}

bool cpu_is_intel() {
    static const bool intel = detect_intel();
    return intel;
}

uint32_t cpu_features() {
    static const uint32_t features = detect();
    return features;
}

fovea_isa isa_from_features(uint32_t f) {
    const uint32_t avx512 = FOVEA_CPU_FEATURE_AVX512F | FOVEA_CPU_FEATURE_AVX512BW |
                            FOVEA_CPU_FEATURE_AVX512VL | FOVEA_CPU_FEATURE_AVX512DQ |
                            FOVEA_CPU_FEATURE_AVX2 | FOVEA_CPU_FEATURE_FMA3;
    const uint32_t avx2 = FOVEA_CPU_FEATURE_AVX2 | FOVEA_CPU_FEATURE_FMA3;
    if ((f & avx512) == avx512) return FOVEA_ISA_AVX512;
    if ((f & avx2) == avx2) return FOVEA_ISA_AVX2;
    if (f & FOVEA_CPU_FEATURE_NEON) return FOVEA_ISA_NEON;
    return FOVEA_ISA_SCALAR;
}

}  // namespace fovea
