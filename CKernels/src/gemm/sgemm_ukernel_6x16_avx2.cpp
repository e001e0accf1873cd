// AVX2 + FMA microkernel: 6 rows x 16 columns (2 ymm), 12 accumulators, two
// B vectors and one broadcast: 15 of the 16 registers.
//
// Masked stores (vmaskmovps to memory) are microcoded on AMD's Zen cores and
// cost tens of cycles each: with them on every tile, the stores took longer
// than a 64-deep depth loop. Whole tiles therefore store with plain moves,
// and only a tile at the right edge of C takes the masked path.
//
// A residual sum is added to the tile in registers, before the activation,
// instead of in a second pass over the stored tile: ResNet's 64->256 1x1
// convolution on 56x56 with its residual took 2.4-4.1 ms that way on a Zen 2
// core, and 1.6-2.3 ms now (1.35 without a residual).
#if defined(__x86_64__)
#include <immintrin.h>

#include <algorithm>

#include "act/activation_simd.h"
#include "common/target.h"
#include "gemm/ukernel.h"

namespace fovea::gemm {
namespace {

constexpr int MR = 6;
constexpr int NR = 16;

using Tile = __m256[MR][2];

// Applies f to every accumulator; unrolled, so the tile stays in registers.
template <typename F>
FOVEA_TARGET_AVX2 FOVEA_ALWAYS_INLINE void for_each(Tile &acc, F f) {
#pragma clang loop unroll(full)
    for (int m = 0; m < MR; ++m) {
        acc[m][0] = f(acc[m][0]);
        acc[m][1] = f(acc[m][1]);
    }
}

// The activation is chosen once per tile, not once per vector. Sigmoid and
// tanh are left to the driver (after the store).
FOVEA_TARGET_AVX2 FOVEA_ALWAYS_INLINE void activate(const fovea_activation &act, Tile &acc) {
    const __m256 zero = _mm256_setzero_ps();
    switch (act.kind) {
        case FOVEA_ACTIVATION_RELU:
            for_each(acc, [&](__m256 v) FOVEA_TARGET_AVX2 { return _mm256_max_ps(zero, v); });
            break;
        case FOVEA_ACTIVATION_RELU6: {
            const __m256 six = _mm256_set1_ps(6.0f);
            for_each(acc, [&](__m256 v) FOVEA_TARGET_AVX2 { return _mm256_min_ps(six, _mm256_max_ps(zero, v)); });
            break;
        }
        case FOVEA_ACTIVATION_LEAKY_RELU:
        case FOVEA_ACTIVATION_CLAMP:
            for_each(acc, [&](__m256 v) FOVEA_TARGET_AVX2 { return simd::activate_avx2(act, v); });
            break;
        default: break;
    }
}

// Floats 8v..8v+7 of a row of C (or of the residual) when n are valid:
// masked only for the half that the right edge cuts, nothing read past it.
FOVEA_TARGET_AVX2 FOVEA_ALWAYS_INLINE __m256 load_half(const float *row, int v, int64_t n, const __m256i (&mask)[2]) {
    if (n >= 8 * v + 8) return _mm256_loadu_ps(row + 8 * v);
    if (n <= 8 * v) return _mm256_setzero_ps();
    return _mm256_maskload_ps(row + 8 * v, mask[v]);
}

// The same for a store.
FOVEA_TARGET_AVX2 FOVEA_ALWAYS_INLINE void store_half(float *row, int v, int64_t n, const __m256i (&mask)[2], __m256 value) {
    if (n >= 8 * v + 8) _mm256_storeu_ps(row + 8 * v, value);
    else if (n > 8 * v) _mm256_maskstore_ps(row + 8 * v, mask[v], value);
}

// The depth loop over every tap. With PREFETCH, one line of p.prefetch every
// `every` steps, so that the next panel arrives while this one computes
// instead of in a burst that would hold up the loads of the loop.
template <bool PREFETCH>
FOVEA_TARGET_AVX2 FOVEA_ALWAYS_INLINE void multiply(const UkernelArgs &p, const float *const (&rows)[MR], Tile &acc) {
    const float *ahead = p.prefetch;
    int64_t lines = PREFETCH ? p.prefetch_lines : 0;
    const int64_t every = PREFETCH ? std::max<int64_t>(1, p.taps * p.kc / std::max<int64_t>(lines, 1)) : 0;
    int64_t countdown = every;
    for (int64_t t = 0; t < p.taps; ++t) {
        const int64_t offset = p.tap_offsets ? p.tap_offsets[t] : 0;
        const float *a0 = rows[0] + offset, *a1 = rows[1] + offset, *a2 = rows[2] + offset,
                    *a3 = rows[3] + offset, *a4 = rows[4] + offset, *a5 = rows[5] + offset;
        const float *b = p.b + t * p.b_tap_stride;
        for (int64_t k = 0; k < p.kc; ++k, b += NR) {
            if constexpr (PREFETCH) {
                if (--countdown == 0 && lines > 0) {
                    _mm_prefetch(reinterpret_cast<const char *>(ahead), _MM_HINT_T0);
                    ahead += 16, --lines, countdown = every;
                }
            }
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
}

FOVEA_TARGET_AVX2 void ukernel_6x16(const UkernelArgs &p) {
    Tile acc;
    const bool whole = p.n >= NR;
    const __m256i mask[2] = {simd::tail_mask8(p.n), simd::tail_mask8(p.n - 8)};
    if (p.accumulate) {
#pragma clang loop unroll(full)
        for (int m = 0; m < MR; ++m) {
            const float *row = p.c + (m < p.m ? m : 0) * p.ldc;
            acc[m][0] = load_half(row, 0, p.n, mask);
            acc[m][1] = load_half(row, 1, p.n, mask);
        }
    } else {
        const __m256 init0 = p.bias ? _mm256_loadu_ps(p.bias) : _mm256_setzero_ps();
        const __m256 init1 = p.bias ? _mm256_loadu_ps(p.bias + 8) : _mm256_setzero_ps();
#pragma clang loop unroll(full)
        for (int m = 0; m < MR; ++m) acc[m][0] = init0, acc[m][1] = init1;
    }
    const float *rows[MR];
    for (int m = 0; m < MR; ++m) rows[m] = p.a + (m < p.m ? m : 0) * p.a_row_stride;
    if (p.prefetch && p.prefetch_lines > 0)
        multiply<true>(p, rows, acc);
    else
        multiply<false>(p, rows, acc);
    if (p.residual) {
#pragma clang loop unroll(full)
        for (int m = 0; m < MR; ++m) {
            const float *row = p.residual + (m < p.m ? m : 0) * p.ldc;
            acc[m][0] = _mm256_add_ps(load_half(row, 0, p.n, mask), acc[m][0]);
            acc[m][1] = _mm256_add_ps(load_half(row, 1, p.n, mask), acc[m][1]);
        }
    }
    if (p.finish) activate(p.activation, acc);
    if (whole) {
#pragma clang loop unroll(full)
        for (int m = 0; m < MR; ++m) {
            if (m >= p.m) break;
            _mm256_storeu_ps(p.c + m * p.ldc, acc[m][0]);
            _mm256_storeu_ps(p.c + m * p.ldc + 8, acc[m][1]);
        }
        return;
    }
    // A narrow panel (24 output channels: 16 + 8; YOLO's 255: 15 * 16 + 15)
    // stores its whole half with a plain move and masks only the cut one.
#pragma clang loop unroll(full)
    for (int m = 0; m < MR; ++m) {
        if (m >= p.m) break;
        store_half(p.c + m * p.ldc, 0, p.n, mask, acc[m][0]);
        store_half(p.c + m * p.ldc, 1, p.n, mask, acc[m][1]);
    }
}

}  // namespace

UkernelInfo ukernel_avx2() { return {ukernel_6x16, MR, NR, true}; }

}  // namespace fovea::gemm
#endif
