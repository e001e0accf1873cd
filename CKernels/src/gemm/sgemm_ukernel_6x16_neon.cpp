// NEON microkernel (AArch64): 6 rows x 16 columns (four q registers per row),
// 24 accumulators, four B vectors and one broadcast: 29 of the 32 registers.
// Its panels are 16 floats wide, as the AVX2 kernel's. A tile of fewer rows,
// or of fewer valid columns, runs a copy of the kernel made for its rows and
// q registers (tile<R, V>): the rows past a short tile and the vectors past
// a narrow panel's last column are neither multiplied nor stored.
//
// The broadcast of A is a load-and-duplicate (ld1r) per row and depth step
// rather than a by-lane FMA on four steps of A loaded at once: the lane form
// needs the six rows' vectors live beside the accumulators, 34 registers.
// Advanced SIMD is part of AArch64, so nothing here needs a target attribute.
#if defined(__aarch64__)
#include <arm_neon.h>

#include <algorithm>

#include "common/target.h"
#include "gemm/ukernel.h"

namespace fovea::gemm {
namespace {

constexpr int MR = 6;
constexpr int NV = 4;  // q registers per row
constexpr int NR = NV * 4;

using Tile = float32x4_t[MR][NV];

// Applies f to the first V vectors of the first R rows.
template <int R, int V, typename F>
FOVEA_ALWAYS_INLINE void for_each(Tile &acc, F f) {
#pragma clang loop unroll(full)
    for (int m = 0; m < R; ++m)
#pragma clang loop unroll(full)
        for (int v = 0; v < V; ++v) acc[m][v] = f(acc[m][v]);
}

// The activations the tile applies itself (sigmoid and tanh are left to the
// driver, after the store). Every comparison lets NaN through, as the
// reference does: fmax and fmin return NaN when either operand is NaN.
template <int R, int V>
FOVEA_ALWAYS_INLINE void activate(const fovea_activation &act, Tile &acc) {
    const float32x4_t zero = vdupq_n_f32(0.0f);
    switch (act.kind) {
        case FOVEA_ACTIVATION_RELU: for_each<R, V>(acc, [&](float32x4_t x) { return vmaxq_f32(zero, x); }); break;
        case FOVEA_ACTIVATION_RELU6: {
            const float32x4_t six = vdupq_n_f32(6.0f);
            for_each<R, V>(acc, [&](float32x4_t x) { return vminq_f32(six, vmaxq_f32(zero, x)); });
            break;
        }
        case FOVEA_ACTIVATION_LEAKY_RELU: {
            const float alpha = act.alpha;
            for_each<R, V>(acc, [&](float32x4_t x) { return vbslq_f32(vcltq_f32(x, zero), vmulq_n_f32(x, alpha), x); });
            break;
        }
        case FOVEA_ACTIVATION_CLAMP: {
            const float32x4_t lo = vdupq_n_f32(act.alpha), hi = vdupq_n_f32(act.beta);
            for_each<R, V>(acc, [&](float32x4_t x) { return vminq_f32(hi, vmaxq_f32(lo, x)); });
            break;
        }
        default: break;
    }
}

// Floats 4v..4v+3 of a row of C (or of the residual) of which n are valid:
// nothing is read past the last valid one.
FOVEA_ALWAYS_INLINE float32x4_t load_part(const float *row, int v, int64_t n) {
    if (n >= 4 * v + 4) return vld1q_f32(row + 4 * v);
    float part[4] = {0.0f, 0.0f, 0.0f, 0.0f};
    for (int64_t j = 4 * v; j < n; ++j) part[j - 4 * v] = row[j];
    return vld1q_f32(part);
}

FOVEA_ALWAYS_INLINE void store_part(float *row, int v, int64_t n, float32x4_t value) {
    if (n >= 4 * v + 4) {
        vst1q_f32(row + 4 * v, value);
        return;
    }
    float part[4];
    vst1q_f32(part, value);
    for (int64_t j = 4 * v; j < n; ++j) row[j] = part[j - 4 * v];
}

// R rows of A and C, V q registers of each row's 16 columns.
template <int R, int V>
FOVEA_ALWAYS_INLINE void tile(const UkernelArgs &p) {
    Tile acc;
    if (p.accumulate) {
#pragma clang loop unroll(full)
        for (int m = 0; m < R; ++m)
#pragma clang loop unroll(full)
            for (int v = 0; v < V; ++v) acc[m][v] = load_part(p.c + m * p.ldc, v, p.n);
    } else {
        float32x4_t init[V];
#pragma clang loop unroll(full)
        for (int v = 0; v < V; ++v) init[v] = p.bias ? vld1q_f32(p.bias + 4 * v) : vdupq_n_f32(0.0f);
#pragma clang loop unroll(full)
        for (int m = 0; m < R; ++m)
#pragma clang loop unroll(full)
            for (int v = 0; v < V; ++v) acc[m][v] = init[v];
    }
    for (int64_t t = 0; t < p.taps; ++t) {
        const int64_t offset = p.tap_offsets ? p.tap_offsets[t] : 0;
        const float *a[R];
#pragma clang loop unroll(full)
        for (int m = 0; m < R; ++m) a[m] = p.a + m * p.a_row_stride + offset;
        const float *b = p.b + t * p.b_tap_stride;
        for (int64_t k = 0; k < p.kc; ++k, b += NR) {
            float32x4_t bv[V];
#pragma clang loop unroll(full)
            for (int v = 0; v < V; ++v) bv[v] = vld1q_f32(b + 4 * v);
#pragma clang loop unroll(full)
            for (int m = 0; m < R; ++m) {
                const float32x4_t broadcast = vld1q_dup_f32(a[m] + k);
#pragma clang loop unroll(full)
                for (int v = 0; v < V; ++v) acc[m][v] = vfmaq_f32(acc[m][v], bv[v], broadcast);
            }
        }
    }
    if (p.residual) {
#pragma clang loop unroll(full)
        for (int m = 0; m < R; ++m)
#pragma clang loop unroll(full)
            for (int v = 0; v < V; ++v) acc[m][v] = vaddq_f32(load_part(p.residual + m * p.ldc, v, p.n), acc[m][v]);
    }
    if (p.finish) activate<R, V>(p.activation, acc);
#pragma clang loop unroll(full)
    for (int m = 0; m < R; ++m)
#pragma clang loop unroll(full)
        for (int v = 0; v < V; ++v) store_part(p.c + m * p.ldc, v, p.n, acc[m][v]);
}

template <int R>
FOVEA_ALWAYS_INLINE void tile_of_width(const UkernelArgs &p) {
    switch ((std::min<int64_t>(p.n, NR) + 3) / 4) {
        case 1: tile<R, 1>(p); break;
        case 2: tile<R, 2>(p); break;
        case 3: tile<R, 3>(p); break;
        default: tile<R, 4>(p); break;
    }
}

void ukernel_6x16(const UkernelArgs &p) {
    switch (p.m) {
        case 1: tile_of_width<1>(p); break;
        case 2: tile_of_width<2>(p); break;
        case 3: tile_of_width<3>(p); break;
        case 4: tile_of_width<4>(p); break;
        case 5: tile_of_width<5>(p); break;
        case 6: tile_of_width<6>(p); break;
        default: break;  // no rows: nothing to compute
    }
}

}  // namespace

UkernelInfo ukernel_neon() { return {ukernel_6x16, MR, NR, true}; }

}  // namespace fovea::gemm
#endif
