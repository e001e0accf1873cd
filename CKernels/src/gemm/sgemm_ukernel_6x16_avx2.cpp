// AVX2 + FMA microkernel: 6 rows x 16 columns (2 ymm), 12 accumulators, two
// B vectors and one broadcast: 15 of the 16 registers.
#if defined(__x86_64__)
#include <immintrin.h>

#include "act/activation_simd.h"
#include "common/target.h"
#include "gemm/ukernel.h"

namespace fovea::gemm {
namespace {

constexpr int MR = 6;
constexpr int NR = 16;

FOVEA_TARGET_AVX2 FOVEA_ALWAYS_INLINE __m256i column_mask(int64_t n, int v) {
    const int64_t left = n - int64_t(v) * 8;
    const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(int(left < 0 ? 0 : left > 8 ? 8 : left)), lanes);
}

FOVEA_TARGET_AVX2 void ukernel_6x16(const UkernelArgs &p) {
    __m256 acc[MR][2];
    const __m256i mask[2] = {column_mask(p.n, 0), column_mask(p.n, 1)};
    for (int v = 0; v < 2; ++v) {
        if (p.accumulate) {
            for (int m = 0; m < MR; ++m)
                acc[m][v] = m < p.m ? _mm256_maskload_ps(p.c + m * p.ldc + v * 8, mask[v]) : _mm256_setzero_ps();
        } else {
            const __m256 init = p.bias ? _mm256_loadu_ps(p.bias + v * 8) : _mm256_setzero_ps();
            for (int m = 0; m < MR; ++m) acc[m][v] = init;
        }
    }
    const float *rows[MR];
    for (int m = 0; m < MR; ++m) rows[m] = p.a + (m < p.m ? m : 0) * p.a_row_stride;
    for (int64_t t = 0; t < p.taps; ++t) {
        const int64_t offset = p.tap_offsets ? p.tap_offsets[t] : 0;
        const float *a0 = rows[0] + offset, *a1 = rows[1] + offset, *a2 = rows[2] + offset,
                    *a3 = rows[3] + offset, *a4 = rows[4] + offset, *a5 = rows[5] + offset;
        const float *b = p.b + t * p.b_tap_stride;
        for (int64_t k = 0; k < p.kc; ++k, b += NR) {
            const __m256 b0 = _mm256_load_ps(b), b1 = _mm256_load_ps(b + 8);
            __m256 a;
            a = _mm256_broadcast_ss(a0 + k);
            acc[0][0] = _mm256_fmadd_ps(a, b0, acc[0][0]);
            acc[0][1] = _mm256_fmadd_ps(a, b1, acc[0][1]);
            a = _mm256_broadcast_ss(a1 + k);
            acc[1][0] = _mm256_fmadd_ps(a, b0, acc[1][0]);
            acc[1][1] = _mm256_fmadd_ps(a, b1, acc[1][1]);
            a = _mm256_broadcast_ss(a2 + k);
            acc[2][0] = _mm256_fmadd_ps(a, b0, acc[2][0]);
            acc[2][1] = _mm256_fmadd_ps(a, b1, acc[2][1]);
            a = _mm256_broadcast_ss(a3 + k);
            acc[3][0] = _mm256_fmadd_ps(a, b0, acc[3][0]);
            acc[3][1] = _mm256_fmadd_ps(a, b1, acc[3][1]);
            a = _mm256_broadcast_ss(a4 + k);
            acc[4][0] = _mm256_fmadd_ps(a, b0, acc[4][0]);
            acc[4][1] = _mm256_fmadd_ps(a, b1, acc[4][1]);
            a = _mm256_broadcast_ss(a5 + k);
            acc[5][0] = _mm256_fmadd_ps(a, b0, acc[5][0]);
            acc[5][1] = _mm256_fmadd_ps(a, b1, acc[5][1]);
        }
    }
    // Sigmoid and tanh are left to the driver (after the store).
    const bool fused = p.finish && simd::activation_is_vectorised(p.activation.kind);
    for (int m = 0; m < MR && m < p.m; ++m)
        for (int v = 0; v < 2; ++v)
            _mm256_maskstore_ps(p.c + m * p.ldc + v * 8, mask[v],
                                fused ? simd::activate_avx2(p.activation, acc[m][v]) : acc[m][v]);
}

}  // namespace

UkernelInfo ukernel_avx2() { return {ukernel_6x16, MR, NR}; }

}  // namespace fovea::gemm
#endif
