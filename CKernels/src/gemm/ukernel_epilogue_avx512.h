// The parts of an AVX-512 microkernel around its depth loop: filling the
// accumulator tile (zero, bias, or the current C) and storing it (with the
// residual sum and the fused activation, masked at the right edge).
#pragma once
#if defined(__x86_64__)
#include <immintrin.h>

#include "common/target.h"
#include "act/activation_simd.h"
#include "gemm/ukernel.h"

namespace fovea::gemm {

FOVEA_TARGET_AVX512 FOVEA_ALWAYS_INLINE __mmask16 column_mask_avx512(int64_t n, int v) {
    const int64_t left = n - int64_t(v) * 16;
    return left >= 16 ? __mmask16(0xFFFF) : left <= 0 ? __mmask16(0) : __mmask16((1u << left) - 1);
}

template <int MR, int NR>
FOVEA_TARGET_AVX512 FOVEA_ALWAYS_INLINE void load_accumulators_avx512(const UkernelArgs &p, float *acc) {
    constexpr int NV = NR / 16;
    for (int v = 0; v < NV; ++v) {
        const __mmask16 mask = column_mask_avx512(p.n, v);
        if (p.accumulate) {
            for (int m = 0; m < MR; ++m)
                _mm512_store_ps(acc + m * NR + v * 16,
                                m < p.m ? _mm512_maskz_loadu_ps(mask, p.c + m * p.ldc + v * 16)
                                        : _mm512_setzero_ps());
        } else {
            const __m512 init = p.bias ? _mm512_loadu_ps(p.bias + v * 16) : _mm512_setzero_ps();
            for (int m = 0; m < MR; ++m) _mm512_store_ps(acc + m * NR + v * 16, init);
        }
    }
}

// Stores a tile held as M x NV vectors (rows[m][v]), adding the residual and
// applying the activation on the way. The activation and the residual are
// decided once per tile: switching on them for every vector (a jump table
// and the parameters loaded again each time) weighs on short depths. With a
// ReLU6, one thread, Emerald Rapids, in core cycles: MobileNetV2's expansion
// 24 -> 144 over 5 rows of 56 pixels 50-51 -> 43 thousand, 96 -> 24 over 3
// rows 19 -> 18, 16 -> 96 over 6 rows of 112 54-57 -> 53.
template <int M, int NV, fovea_activation_kind KIND, bool RESIDUAL>
FOVEA_TARGET_AVX512 FOVEA_ALWAYS_INLINE void store_rows_as_avx512(const UkernelArgs &p, const __m512 (&rows)[M][NV], int count) {
    const __m512 alpha = _mm512_set1_ps(p.activation.alpha), beta = _mm512_set1_ps(p.activation.beta);
#pragma unroll
    for (int v = 0; v < NV; ++v) {
        const __mmask16 mask = column_mask_avx512(p.n, v);
#pragma unroll
        for (int m = 0; m < M; ++m) {
            if (m >= count) break;
            __m512 value = rows[m][v];
            if constexpr (RESIDUAL)
                value = _mm512_add_ps(_mm512_maskz_loadu_ps(mask, p.residual + m * p.ldc + v * 16), value);
            value = simd::activate_avx512_as<KIND>(value, alpha, beta);
            _mm512_mask_storeu_ps(p.c + m * p.ldc + v * 16, mask, value);
        }
    }
}

template <int M, int NV, bool RESIDUAL>
FOVEA_TARGET_AVX512 FOVEA_ALWAYS_INLINE void store_rows_avx512(const UkernelArgs &p, const __m512 (&rows)[M][NV], int count) {
    // Sigmoid and tanh are left to the driver (after the store).
    switch (p.finish ? p.activation.kind : FOVEA_ACTIVATION_NONE) {
        case FOVEA_ACTIVATION_RELU: return store_rows_as_avx512<M, NV, FOVEA_ACTIVATION_RELU, RESIDUAL>(p, rows, count);
        case FOVEA_ACTIVATION_RELU6: return store_rows_as_avx512<M, NV, FOVEA_ACTIVATION_RELU6, RESIDUAL>(p, rows, count);
        case FOVEA_ACTIVATION_LEAKY_RELU:
            return store_rows_as_avx512<M, NV, FOVEA_ACTIVATION_LEAKY_RELU, RESIDUAL>(p, rows, count);
        case FOVEA_ACTIVATION_CLAMP: return store_rows_as_avx512<M, NV, FOVEA_ACTIVATION_CLAMP, RESIDUAL>(p, rows, count);
        default: return store_rows_as_avx512<M, NV, FOVEA_ACTIVATION_NONE, RESIDUAL>(p, rows, count);
    }
}

// The first `count` rows of an M x NV-vector tile into C (p.n columns).
template <int M, int NV>
FOVEA_TARGET_AVX512 FOVEA_ALWAYS_INLINE void store_tile_avx512(const UkernelArgs &p, const __m512 (&rows)[M][NV], int count) {
    if (p.residual) store_rows_avx512<M, NV, true>(p, rows, count);
    else store_rows_avx512<M, NV, false>(p, rows, count);
}

template <int MR, int NR>
FOVEA_TARGET_AVX512 FOVEA_ALWAYS_INLINE void store_accumulators_avx512(const UkernelArgs &p, const float *acc) {
    __m512 rows[MR][NR / 16];
    for (int m = 0; m < MR; ++m)
        for (int v = 0; v < NR / 16; ++v) rows[m][v] = _mm512_load_ps(acc + m * NR + v * 16);
    store_tile_avx512<MR, NR / 16>(p, rows, int(p.m));
}

}  // namespace fovea::gemm
#endif
