// AVX2 + FMA SGEMM: register blocks of 6 rows x 16 columns (two ymm, 12
// accumulators of the 16 registers), B packed into zero-padded 16-column
// panels, maskload/maskstore at the right edge of C. Same structure and the
// same per-element arithmetic order as gemm_avx512.cpp: one FMA per k in
// increasing k, independent of blocking and thread count; beta == 0 never
// reads C.
#if defined(__x86_64__)

#include <immintrin.h>

#include <algorithm>
#include <cstdint>

#include "act/activation_simd.h"
#include "gemm/gemm_kernels.h"
#include "threadpool/threadpool.h"

// Register blocks must be unrolled for the accumulators to live in registers;
// -O1 leaves these loops rolled (and the accumulators in memory) unless asked.
#define FOVEA_UNROLL _Pragma("GCC unroll 16")

namespace fovea {
namespace {

using simd::tail_mask8;

constexpr int kMR = 6;         // rows per register block
constexpr int64_t kNR = 16;    // columns per register block and per packed panel
constexpr int64_t kKC = 256;   // depth of one packed panel: 16 KB on the stack
constexpr int64_t kMC = 72;    // rows per task, a multiple of kMR
constexpr int64_t kNC = 256;   // columns per task, a multiple of kNR

// op(A)(i, p) = a[i * a_row + p * a_depth] covers both trans_a cases.
struct Problem {
    const fovea_gemm_desc *d;
    const float *a;
    int64_t a_row, a_depth;
    const float *b;
    const float *bias;
    float *c;
};

// op(B)[p0 : p0+kc, j0 : j0+16] into panel[kc][16]; columns past n are zeros.
FOVEA_TARGET_AVX2 void pack_b(const Problem &P, int64_t p0, int64_t kc, int64_t j0,
                              float *panel) {
    const fovea_gemm_desc &d = *P.d;
    const int64_t cols = std::min(kNR, d.n - j0);
    if (!d.trans_b) {
        const __m256i m0 = tail_mask8(cols), m1 = tail_mask8(cols - 8);
        const bool second = cols > 8;
        for (int64_t p = 0; p < kc; ++p) {
            const float *src = P.b + (p0 + p) * d.ldb + j0;
            _mm256_store_ps(panel + p * kNR, _mm256_maskload_ps(src, m0));
            _mm256_store_ps(panel + p * kNR + 8,
                            second ? _mm256_maskload_ps(src + 8, m1) : _mm256_setzero_ps());
        }
    } else {
        // B is n x k: each output column is a contiguous row of B.
        for (int64_t jj = 0; jj < kNR; ++jj) {
            if (jj < cols) {
                const float *src = P.b + (j0 + jj) * d.ldb + p0;
                for (int64_t p = 0; p < kc; ++p) panel[p * kNR + jj] = src[p];
            } else {
                for (int64_t p = 0; p < kc; ++p) panel[p * kNR + jj] = 0.0f;
            }
        }
    }
}

// C = act(alpha * acc + beta * C + bias) for R rows x up to 16 columns.
template <int R>
FOVEA_TARGET_AVX2 void store_block(const Problem &P, int64_t i0, int64_t j0,
                                   const __m256 (&acc)[R][2]) {
    const fovea_gemm_desc &d = *P.d;
    const int64_t cols = std::min(kNR, d.n - j0);
    const bool live[2] = {cols > 0, cols > 8};
    const bool full[2] = {cols >= 8, cols >= 16};
    const __m256i mask[2] = {tail_mask8(cols), tail_mask8(cols - 8)};
    const __m256 alpha = _mm256_set1_ps(d.alpha);
    const __m256 beta = _mm256_set1_ps(d.beta);
    __m256 bias[2] = {_mm256_setzero_ps(), _mm256_setzero_ps()};
    if (P.bias != nullptr) {
        FOVEA_UNROLL
        for (int h = 0; h < 2; ++h)
            if (live[h]) bias[h] = _mm256_maskload_ps(P.bias + j0 + 8 * h, mask[h]);
    }
    FOVEA_UNROLL
    for (int r = 0; r < R; ++r) {
        float *row = P.c + (i0 + r) * d.ldc + j0;
        FOVEA_UNROLL
        for (int h = 0; h < 2; ++h) {
            if (!live[h]) continue;
            float *out = row + 8 * h;
            __m256 v = _mm256_mul_ps(alpha, acc[r][h]);
            if (d.beta != 0.0f) {
                const __m256 old = full[h] ? _mm256_loadu_ps(out) : _mm256_maskload_ps(out, mask[h]);
                v = _mm256_fmadd_ps(beta, old, v);
            }
            if (P.bias != nullptr) v = _mm256_add_ps(v, bias[h]);
            v = simd::activate_avx2(d.activation, v);
            if (full[h])
                _mm256_storeu_ps(out, v);
            else
                _mm256_maskstore_ps(out, mask[h], v);
        }
    }
}

// R rows x 16 columns over one packed panel of depth kc. Partial sums of
// earlier panels come from `tile`; the last panel writes C.
template <int R>
FOVEA_TARGET_AVX2 void block(const Problem &P, int64_t i0, int64_t j0, int64_t p0, int64_t kc,
                             const float *panel, float *tile, bool first, bool last) {
    __m256 acc[R][2];
    FOVEA_UNROLL
    for (int r = 0; r < R; ++r) {
        FOVEA_UNROLL
        for (int h = 0; h < 2; ++h)
            acc[r][h] = first ? _mm256_setzero_ps() : _mm256_load_ps(tile + r * kNR + 8 * h);
    }
    const float *a = P.a + i0 * P.a_row + p0 * P.a_depth;
    const int64_t a_row = P.a_row, a_depth = P.a_depth;
    for (int64_t p = 0; p < kc; ++p) {
        const __m256 b0 = _mm256_load_ps(panel + p * kNR);
        const __m256 b1 = _mm256_load_ps(panel + p * kNR + 8);
        FOVEA_UNROLL
        for (int r = 0; r < R; ++r) {
            const __m256 av = _mm256_broadcast_ss(a + r * a_row);
            acc[r][0] = _mm256_fmadd_ps(av, b0, acc[r][0]);
            acc[r][1] = _mm256_fmadd_ps(av, b1, acc[r][1]);
        }
        a += a_depth;
    }
    if (last) {
        store_block<R>(P, i0, j0, acc);
    } else {
        FOVEA_UNROLL
        for (int r = 0; r < R; ++r) {
            FOVEA_UNROLL
            for (int h = 0; h < 2; ++h) _mm256_store_ps(tile + r * kNR + 8 * h, acc[r][h]);
        }
    }
}

FOVEA_TARGET_AVX2 void block_rows(int rows, const Problem &P, int64_t i0, int64_t j0,
                                  int64_t p0, int64_t kc, const float *panel, float *tile,
                                  bool first, bool last) {
    switch (rows) {
        case 6: block<6>(P, i0, j0, p0, kc, panel, tile, first, last); break;
        case 5: block<5>(P, i0, j0, p0, kc, panel, tile, first, last); break;
        case 4: block<4>(P, i0, j0, p0, kc, panel, tile, first, last); break;
        case 3: block<3>(P, i0, j0, p0, kc, panel, tile, first, last); break;
        case 2: block<2>(P, i0, j0, p0, kc, panel, tile, first, last); break;
        default: block<1>(P, i0, j0, p0, kc, panel, tile, first, last); break;
    }
}

// Rows [r0, r1) x columns [c0, c1): one task of the parallel loop.
FOVEA_TARGET_AVX2 void run_task(const Problem &P, int64_t r0, int64_t r1, int64_t c0,
                                int64_t c1) {
    alignas(32) float panel[kKC * kNR];
    alignas(32) float tile[kMC * kNR];  // partial sums while k spans several panels
    const int64_t k = P.d->k;
    const int64_t depth_steps = std::max<int64_t>(1, (k + kKC - 1) / kKC);  // k == 0: one empty step
    for (int64_t j0 = c0; j0 < c1; j0 += kNR) {
        for (int64_t step = 0; step < depth_steps; ++step) {
            const int64_t p0 = step * kKC;
            const int64_t kc = std::min(kKC, k - p0);
            pack_b(P, p0, kc, j0, panel);
            for (int64_t i0 = r0; i0 < r1; i0 += kMR)
                block_rows(int(std::min<int64_t>(kMR, r1 - i0)), P, i0, j0, p0, kc, panel,
                           tile + (i0 - r0) * kNR, step == 0, step == depth_steps - 1);
        }
    }
}

}  // namespace

fovea_status gemm_avx2(const fovea_gemm_desc *desc, const float *a, const float *b,
                       const float *bias, float *c) {
    const fovea_gemm_desc &d = *desc;
    if (d.m <= 0 || d.n <= 0) return FOVEA_STATUS_SUCCESS;
    const Problem P{desc, a, d.trans_a ? 1 : d.lda, d.trans_a ? d.lda : 1, b, bias, c};
    for_each_gemm_block(d, kMC, kNC,
                        [&](int64_t r0, int64_t r1, int64_t c0, int64_t c1) { run_task(P, r0, r1, c0, c1); });
    return FOVEA_STATUS_SUCCESS;
}

}  // namespace fovea

#endif  // __x86_64__
