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

// value + the residual's vector v of row m (masked like the store), when the
// driver handed one over (UkernelInfo::adds_residual).
FOVEA_TARGET_AVX512 FOVEA_ALWAYS_INLINE __m512 add_residual_avx512(const UkernelArgs &p, int m, int v, __mmask16 mask,
                                                                 __m512 value) {
    if (!p.residual) return value;
    return _mm512_add_ps(_mm512_maskz_loadu_ps(mask, p.residual + m * p.ldc + v * 16), value);
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

template <int MR, int NR>
FOVEA_TARGET_AVX512 FOVEA_ALWAYS_INLINE void store_accumulators_avx512(const UkernelArgs &p, const float *acc) {
    constexpr int NV = NR / 16;
    for (int v = 0; v < NV; ++v) {
        const __mmask16 mask = column_mask_avx512(p.n, v);
        for (int m = 0; m < MR && m < p.m; ++m) {
            __m512 value = add_residual_avx512(p, m, v, mask, _mm512_load_ps(acc + m * NR + v * 16));
            // Sigmoid and tanh are left to the driver (after the store).
            if (p.finish && simd::activation_is_vectorised(p.activation.kind))
                value = simd::activate_avx512(p.activation, value);
            _mm512_mask_storeu_ps(p.c + m * p.ldc + v * 16, mask, value);
        }
    }
}

}  // namespace fovea::gemm
#endif
