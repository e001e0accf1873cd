#include <algorithm>
#include <cstring>

#include "dispatch/dispatch.h"
#include "gemm/ukernel.h"

namespace fovea::gemm {

int64_t packed_size(int64_t k, int64_t n, int32_t nr) { return ((n + nr - 1) / nr) * k * nr; }

void pack_b(int64_t k, int64_t n, const float *b, int64_t ldb, int32_t nr, float *out) {
    for (int64_t j0 = 0; j0 < n; j0 += nr) {
        const int64_t width = std::min<int64_t>(nr, n - j0);
        for (int64_t kk = 0; kk < k; ++kk) {
            std::memcpy(out, b + kk * ldb + j0, width * sizeof(float));
            std::fill(out + width, out + nr, 0.0f);
            out += nr;
        }
    }
}

UkernelInfo ukernel_for(fovea_isa isa, int64_t columns, int64_t max_rows) {
#if defined(__x86_64__)
    if (isa_allows(isa, FOVEA_ISA_AVX512) && columns > 0) {
        // Useful share of the FMAs, weighted by each tile's own efficiency
        // (broadcasts per FMA: 7+4 per 28, 12+2 per 24, 16+1 per 16). Where
        // 512-bit FMAs are split (Zen 4) each takes two cycles beside the same
        // broadcasts, and the narrow tiles lose little to the wide one. With
        // the full-width cores' weights there, 40, 48 and 112 columns took the
        // wide tile;
        // with these (one thread, four interleaved rounds, medians, GFLOP/s):
        // 1x1 128->40 on 28x28 62 -> 88, 128->48 74 -> 105,
        // 3x3 64->48 direct 86 -> 115, 3x3 96->112 direct 101 -> 113 and
        // F(4x4) 306 -> 373, 1x1 256->352 on 14x14 98 -> 107, 512->528 103 ->
        // 108; 16, 96 and 160 columns kept their tile.
        static const bool split = cpu_splits_512bit_fma();
        auto score = [&](int64_t width, double efficiency) {
            return efficiency * double(columns) / double((columns + width - 1) / width * width);
        };
        const double wide = score(64, 1.0), middle = score(32, split ? 0.98 : 0.9);
        const double narrow = ukernel_avx512_16x16().mr <= max_rows ? score(16, split ? 0.93 : 0.75) : 0.0;
        if (wide >= middle && wide >= narrow) return ukernel_avx512();
        return middle >= narrow ? ukernel_avx512_12x32() : ukernel_avx512_16x16();
    }
#endif
    (void)max_rows;
    return ukernel_for(isa);
}

UkernelInfo ukernel_for_rows(UkernelInfo planned, int64_t depth, int64_t rows) {
#if defined(__x86_64__)
    // The 7x64 kernel reads its fourth B vector as the memory operand of
    // seven FMAs. From L1 that is free, but a panel larger than L1 comes from
    // L2 line by line, and those seven loads then wait on each line: on an
    // Intel Xeon (Emerald Rapids, 48 KB L1d) the 6x64 tile, all four B
    // vectors in registers, ran 5 % faster on 147 KB panels (240-243 against
    // 230 GFLOP/s in a loop over one panel), and so did VGG-16's and
    // ResNet-50's 3x3 layers on 14x14 to 224x224 maps by 1-5 % (direct) and
    // the 1x1 layers by 0-5 % (GEMM), in interleaved runs. The stem (a 38 KB
    // panel) kept 7x64, and so do 7x7 maps, whose 7-pixel rows and columns
    // 7-row tiles fit exactly (6x64: 4-18 % slower). AMD's cores were
    // measured with 7x64 only and keep it.
    constexpr int64_t kFewRows = 14 * 14;
    if (planned.kernel == ukernel_avx512().kernel && cpu_is_intel() && rows >= kFewRows &&
        depth * planned.nr * int64_t(sizeof(float)) > kL1PanelBytes)
        return ukernel_avx512_6x64();
#else
    (void)depth, (void)rows;
#endif
    return planned;
}

bool streaming_aids_pay(fovea_isa isa) { return !isa_allows(isa, FOVEA_ISA_AVX512) || !cpu_splits_512bit_fma(); }

UkernelInfo ukernel_for(fovea_isa isa) {
#if defined(__x86_64__)
    if (isa_allows(isa, FOVEA_ISA_AVX512)) return ukernel_avx512();
    if (isa_allows(isa, FOVEA_ISA_AVX2)) return ukernel_avx2();
#elif defined(__aarch64__)
    if (isa_allows(isa, FOVEA_ISA_NEON)) return ukernel_neon();
#endif
    (void)isa;
    return ukernel_scalar();
}

}  // namespace fovea::gemm
