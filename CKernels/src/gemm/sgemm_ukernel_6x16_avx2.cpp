// AVX2 + FMA microkernel: 6 rows x 16 columns (2 ymm), 12 accumulators, two
// B vectors and one broadcast: 15 of the 16 registers. A tile of fewer rows,
// or of at most 8 valid columns, runs a copy of the kernel made for its rows
// and vectors (tile<PREFETCH, R, V>).
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

// Applies f to the first V vectors of the first R rows; unrolled, so the
// tile stays in registers.
template <int R, int V, typename F>
FOVEA_TARGET_AVX2 FOVEA_ALWAYS_INLINE void for_each(Tile &acc, F f) {
#pragma clang loop unroll(full)
    for (int m = 0; m < R; ++m) {
#pragma clang loop unroll(full)
        for (int v = 0; v < V; ++v) acc[m][v] = f(acc[m][v]);
    }
}

// The activation is chosen once per tile, not once per vector. Sigmoid and
// tanh are left to the driver (after the store).
template <int R, int V>
FOVEA_TARGET_AVX2 FOVEA_ALWAYS_INLINE void activate(const fovea_activation &act, Tile &acc) {
    const __m256 zero = _mm256_setzero_ps();
    switch (act.kind) {
        case FOVEA_ACTIVATION_RELU:
            for_each<R, V>(acc, [&](__m256 v) FOVEA_TARGET_AVX2 { return _mm256_max_ps(zero, v); });
            break;
        case FOVEA_ACTIVATION_RELU6: {
            const __m256 six = _mm256_set1_ps(6.0f);
            for_each<R, V>(acc, [&](__m256 v) FOVEA_TARGET_AVX2 { return _mm256_min_ps(six, _mm256_max_ps(zero, v)); });
            break;
        }
        case FOVEA_ACTIVATION_LEAKY_RELU:
        case FOVEA_ACTIVATION_CLAMP:
            for_each<R, V>(acc, [&](__m256 v) FOVEA_TARGET_AVX2 { return simd::activate_avx2(act, v); });
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

// What a call keeps for all of its tiles, read once: the arguments may alias
// the output, so fields read after a store would be loaded again.
struct Call {
    const float *b;
    const int64_t *tap_offsets;
    int64_t taps, kc, b_tap_stride, a_row_stride, ldc, n;
    bool accumulate, finish;
    fovea_activation activation;
    __m256 init[2];
    __m256i mask[2];
};

// Lines of p.prefetch, one every `every` depth steps over all of the call's
// tiles, so that what comes next arrives while this call computes instead of
// in a burst that would hold up the loop's own loads.
struct Ahead {
    const float *next;
    int64_t lines, every, countdown;
};

// The depth loop over every tap, for the first R rows of the tile and V of
// its two vectors.
template <bool PREFETCH, int R, int V>
FOVEA_TARGET_AVX2 FOVEA_ALWAYS_INLINE void multiply(const Call &k, const float *const (&rows)[MR], Tile &acc,
                                                    Ahead &ahead) {
    for (int64_t t = 0; t < k.taps; ++t) {
        const int64_t offset = k.tap_offsets ? k.tap_offsets[t] : 0;
        const float *a[R];
#pragma clang loop unroll(full)
        for (int m = 0; m < R; ++m) a[m] = rows[m] + offset;
        const float *b = k.b + t * k.b_tap_stride;
        for (int64_t i = 0; i < k.kc; ++i, b += NR) {
            if constexpr (PREFETCH) {
                if (--ahead.countdown == 0 && ahead.lines > 0) {
                    _mm_prefetch(reinterpret_cast<const char *>(ahead.next), _MM_HINT_T0);
                    ahead.next += 16, --ahead.lines, ahead.countdown = ahead.every;
                }
            }
            __m256 bv[V];
#pragma clang loop unroll(full)
            for (int v = 0; v < V; ++v) bv[v] = _mm256_load_ps(b + 8 * v);
#pragma clang loop unroll(full)
            for (int m = 0; m < R; ++m) {
                const __m256 broadcast = _mm256_broadcast_ss(a[m] + i);
#pragma clang loop unroll(full)
                for (int v = 0; v < V; ++v) acc[m][v] = _mm256_fmadd_ps(broadcast, bv[v], acc[m][v]);
            }
        }
    }
}

// Asks for the lines of a tile's rows of C (to be written) and of its
// residual while the tile before it computes: a 1x1 convolution with many
// output channels stores its rows a whole output row apart, which the
// hardware prefetchers do not follow.
FOVEA_TARGET_AVX2 FOVEA_ALWAYS_INLINE void fetch_tile(const Call &k, float *c, const float *residual,
                                                      int64_t rows) {
    for (int64_t m = 0; m < rows; ++m) {
        _mm_prefetch(reinterpret_cast<const char *>(c + m * k.ldc), _MM_HINT_T0);
        _mm_prefetch(reinterpret_cast<const char *>(c + m * k.ldc + NR - 1), _MM_HINT_T0);
        if (residual) _mm_prefetch(reinterpret_cast<const char *>(residual + m * k.ldc), _MM_HINT_T0);
    }
}

// One tile of R <= MR rows and V of its two vectors: only those FMAs, since
// partial tiles are common (F(2x2) on a 4x4 map is four tiles, a 7x7 map's
// 49 rows are tiles of six and five) and a six-row tile for four rows would
// waste a third of its FMAs; V is 1 where a panel has at most 8 valid
// columns (24 output channels: 16 + 8).
template <bool PREFETCH, int R, int V>
FOVEA_TARGET_AVX2 FOVEA_ALWAYS_INLINE void tile(const Call &k, const float *a, float *c, const float *residual,
                                                Ahead &ahead) {
    Tile acc;
    if (k.accumulate) {
#pragma clang loop unroll(full)
        for (int m = 0; m < R; ++m) {
#pragma clang loop unroll(full)
            for (int v = 0; v < V; ++v) acc[m][v] = load_half(c + m * k.ldc, v, k.n, k.mask);
        }
    } else {
#pragma clang loop unroll(full)
        for (int m = 0; m < R; ++m) {
#pragma clang loop unroll(full)
            for (int v = 0; v < V; ++v) acc[m][v] = k.init[v];
        }
    }
    const float *a_rows[MR];
#pragma clang loop unroll(full)
    for (int m = 0; m < R; ++m) {
        a_rows[m] = a + m * k.a_row_stride;
        // Opaque to the compiler: seeing a + m * stride, it would rebuild
        // every row's address inside the depth loop (five more instructions
        // a step for six rows) instead of keeping one pointer a row.
        __asm__("" : "+r"(a_rows[m]));
    }
    multiply<PREFETCH, R, V>(k, a_rows, acc, ahead);
    if (residual) {
#pragma clang loop unroll(full)
        for (int m = 0; m < R; ++m) {
#pragma clang loop unroll(full)
            for (int v = 0; v < V; ++v)
                acc[m][v] = _mm256_add_ps(load_half(residual + m * k.ldc, v, k.n, k.mask), acc[m][v]);
        }
    }
    if (k.finish) activate<R, V>(k.activation, acc);
    if (V == 2 && k.n >= NR) {
#pragma clang loop unroll(full)
        for (int m = 0; m < R; ++m) {
            _mm256_storeu_ps(c + m * k.ldc, acc[m][0]);
            _mm256_storeu_ps(c + m * k.ldc + 8, acc[m][1]);
        }
        return;
    }
    // A narrow panel (24 output channels: 16 + 8; YOLO's 255: 15 * 16 + 15)
    // stores its whole half with a plain move and masks only the cut one.
#pragma clang loop unroll(full)
    for (int m = 0; m < R; ++m) {
#pragma clang loop unroll(full)
        for (int v = 0; v < V; ++v) store_half(c + m * k.ldc, v, k.n, k.mask, acc[m][v]);
    }
}

template <bool PREFETCH, int V>
FOVEA_TARGET_AVX2 FOVEA_ALWAYS_INLINE void tile_of(int64_t rows, const Call &k, const float *a, float *c,
                                                   const float *residual, Ahead &ahead) {
    switch (rows) {
        case 6: tile<PREFETCH, 6, V>(k, a, c, residual, ahead); break;
        case 5: tile<PREFETCH, 5, V>(k, a, c, residual, ahead); break;
        case 4: tile<PREFETCH, 4, V>(k, a, c, residual, ahead); break;
        case 3: tile<PREFETCH, 3, V>(k, a, c, residual, ahead); break;
        case 2: tile<PREFETCH, 2, V>(k, a, c, residual, ahead); break;
        case 1: tile<PREFETCH, 1, V>(k, a, c, residual, ahead); break;
        default: break;  // tiles() makes none of other sizes
    }
}

// p.m rows as tiles of at most MR rows, split evenly (49 rows: 7 tiles of 7
// would not fit; 9 tiles of 5 or 6 rows, never a last tile of one row, whose
// two FMA chains would leave the units waiting on their latency). Each row's sums are the same FMAs in the same order
// whatever tile it falls in, so the split never changes a result. One call
// over many tiles reads its arguments, masks and bias once: a 64-deep 1x1
// convolution spent a quarter of its instructions on each tile's call.
template <bool PREFETCH>
FOVEA_TARGET_AVX2 void tiles(const UkernelArgs &p) {
    Call k{p.b, p.tap_offsets, p.taps, p.kc, p.b_tap_stride, p.a_row_stride, p.ldc, p.n,
           p.accumulate != 0, p.finish != 0, p.activation, {}, {}};
    k.mask[0] = simd::tail_mask8(k.n), k.mask[1] = simd::tail_mask8(k.n - 8);
    k.init[0] = p.bias ? _mm256_loadu_ps(p.bias) : _mm256_setzero_ps();
    k.init[1] = p.bias ? _mm256_loadu_ps(p.bias + 8) : _mm256_setzero_ps();
    const int64_t count = (p.m + MR - 1) / MR, base = p.m / count, longer = p.m % count;
    const bool fetch = p.fetch_output && count > 1;
    Ahead ahead{p.prefetch, p.prefetch_lines, 0, 0};
    if constexpr (PREFETCH) {
        ahead.every = std::max<int64_t>(1, count * k.taps * k.kc / std::max<int64_t>(ahead.lines, 1));
        ahead.countdown = ahead.every;
    }
    const float *a = p.a, *residual = p.residual;
    float *c = p.c;
    for (int64_t t = 0; t < count; ++t) {
        const int64_t rows = base + (t < longer ? 1 : 0);
        if (fetch && t + 1 < count)
            fetch_tile(k, c + rows * k.ldc, residual ? residual + rows * k.ldc : nullptr,
                       base + (t + 1 < longer ? 1 : 0));
        if (k.n > 8)
            tile_of<PREFETCH, 2>(rows, k, a, c, residual, ahead);
        else
            tile_of<PREFETCH, 1>(rows, k, a, c, residual, ahead);
        a += rows * k.a_row_stride, c += rows * k.ldc;
        if (residual) residual += rows * k.ldc;
    }
}

FOVEA_TARGET_AVX2 void ukernel_6x16(const UkernelArgs &p) {
    if (p.m <= 0) return;
    if (p.prefetch && p.prefetch_lines > 0)
        tiles<true>(p);
    else
        tiles<false>(p);
}

}  // namespace

UkernelInfo ukernel_avx2() { return {ukernel_6x16, MR, NR, true, true}; }

}  // namespace fovea::gemm
#endif
