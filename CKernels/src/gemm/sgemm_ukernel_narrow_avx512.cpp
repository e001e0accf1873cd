// AVX-512 microkernels for narrow outputs: 12x32 and 16x16. A convolution
// with 24 or 96 output channels would waste 62 % or 25 % of a 64-column
// tile's FMAs on zero padding (MobileNet's projections have 16 to 96
// channels); a narrower tile wastes less, at the price of more broadcasts per
// FMA, which the heuristic in pack.cpp weighs. And 6x64, the wide tile with
// all four B vectors in registers (see ukernel_for_rows in pack.cpp).
#if defined(__x86_64__)
#include <type_traits>

#include "dispatch/dispatch.h"
#include "gemm/ukernel_tile_avx512.h"

namespace fovea::gemm {
namespace {

// Calls f with the row count m as a constant from Lo to Hi (Hi for any m
// beyond): each tile height is a function of its own.
template <int Lo, int Hi, class F>
void with_rows(int64_t m, F &&f) {
    if constexpr (Lo < Hi) {
        if (m != Lo) return with_rows<Lo + 1, Hi>(m, f);
    }
    f(std::integral_constant<int, Lo>{});
}

template <int MR, int NV, int PANEL = NV * 16>
void rows_of(const UkernelArgs &p) {
    with_rows<1, MR>(p.m, [&](auto rows) { tile_avx512<decltype(rows)::value, NV, PANEL>(p); });
}

// A 12x32 tile whose output has at most 24 columns: the last 8 with 256-bit
// FMAs, half the cost of 512-bit ones where those are split (Zen 4). The
// accumulators of the two widths are held apart; kept in the lower halves of
// 512-bit registers, the compiler widened every product back to 512 bits.
template <int M>
FOVEA_TARGET_AVX512 __attribute__((noinline)) void tile_avx512_24(const UkernelArgs &p) {
    constexpr int NR = 32;
    const __mmask16 mask0 = column_mask_avx512(p.n, 0);
    const __mmask8 mask1 = __mmask8(column_mask_avx512(p.n, 1));
    __m512 wide[M];
    __m256 half[M];
    const bool bias = p.bias && !p.accumulate;
    const __m512 wide_init = bias ? _mm512_loadu_ps(p.bias) : _mm512_setzero_ps();
    const __m256 half_init = bias ? _mm256_loadu_ps(p.bias + 16) : _mm256_setzero_ps();
#pragma unroll
    for (int m = 0; m < M; ++m) {
        wide[m] = p.accumulate ? _mm512_maskz_loadu_ps(mask0, p.c + m * p.ldc) : wide_init;
        half[m] = p.accumulate ? _mm256_maskz_loadu_ps(mask1, p.c + m * p.ldc + 16) : half_init;
    }
    for (int64_t t = 0; t < p.taps; ++t) {
        const float *a = p.a + (p.tap_offsets ? p.tap_offsets[t] : 0);
        const float *b = p.b + t * p.b_tap_stride;
        for (int64_t k = 0; k < p.kc; ++k, b += NR) {
            const __m512 b0 = _mm512_load_ps(b);
            const __m256 b1 = _mm256_load_ps(b + 16);
#pragma unroll
            for (int m = 0; m < M; ++m) {
                __m512 am = _mm512_set1_ps(a[m * p.a_row_stride + k]);
                // One 512-bit broadcast from memory serves both widths (left
                // alone, the compiler broadcast to 256 bits and widened in a
                // second shuffle).
                __asm__("" : "+v"(am));
                wide[m] = _mm512_fmadd_ps(am, b0, wide[m]);
                half[m] = _mm256_fmadd_ps(_mm512_castps512_ps256(am), b1, half[m]);
            }
        }
    }
    __m512 rows[M][2];
#pragma unroll
    for (int m = 0; m < M; ++m) rows[m][0] = wide[m], rows[m][1] = _mm512_zextps256_ps512(half[m]);
    store_tile_avx512<M, 2>(p, rows, M);
}

template <int MR>
void rows_of_24(const UkernelArgs &p) {
    // One or two rows are bound by the FMAs' latency, not their throughput.
    if (p.m <= 2) return rows_of<MR, 2>(p);
    with_rows<3, MR>(p.m, [&](auto rows) { tile_avx512_24<decltype(rows)::value>(p); });
}

// A 32-wide panel whose output has 16 columns or fewer (the last panel of
// MobileNetV2's 144 channels) multiplies one vector, not two; one of 24 or
// fewer (its 24-channel projections) multiplies the second with 256-bit FMAs
// where those cost half of a 512-bit one.
template <int MR, int NV>
FOVEA_TARGET_AVX512 void narrow_kernel(const UkernelArgs &p) {
    if constexpr (NV == 2) {
        static const bool half_pays = cpu_splits_512bit_fma();
        if (p.n <= 16) return rows_of<MR, 1, 32>(p);
        if (p.n <= 24 && half_pays) return rows_of_24<MR>(p);
    }
    rows_of<MR, NV>(p);
}

}  // namespace

UkernelInfo ukernel_avx512_12x32() { return {narrow_kernel<12, 2>, 12, 32, true}; }
UkernelInfo ukernel_avx512_16x16() { return {narrow_kernel<16, 1>, 16, 16, true}; }
UkernelInfo ukernel_avx512_6x64() { return {narrow_kernel<6, 4>, 6, 64, true}; }

}  // namespace fovea::gemm
#endif
