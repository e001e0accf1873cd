// Vector forms of the fused activations, shared by the activation kernels and
// the GEMM epilogues. Each agrees with fovea::reference::activate lane by lane,
// including NaN and -0: x86 max/min return their second operand when the
// comparison fails (NaN, or equal values), so the input goes second to fall
// through unchanged as it does in the scalar code.
// x86 only; the functions carry their own target attributes (common/target.h)
// so that the library builds without -m flags.
#pragma once

#if defined(__x86_64__)

#include <immintrin.h>

#include <cstdint>

#include "common/target.h"
#include "fovea_kernels.h"
#include "reference/reference.h"

namespace fovea::simd {

// Kinds computed in vector registers; the others go element by element
// through the reference definition (exp-based, not worth a vector form yet).
inline bool activation_is_vectorised(fovea_activation_kind kind) {
    return kind == FOVEA_ACTIVATION_NONE || kind == FOVEA_ACTIVATION_RELU ||
           kind == FOVEA_ACTIVATION_RELU6 || kind == FOVEA_ACTIVATION_LEAKY_RELU ||
           kind == FOVEA_ACTIVATION_CLAMP;
}

// Lanes [0, count) set; count may be <= 0 or >= 16.
FOVEA_TARGET_AVX512 static inline __mmask16 tail_mask16(int64_t count) {
    if (count <= 0) return 0;
    if (count >= 16) return 0xFFFF;
    return static_cast<__mmask16>((1u << count) - 1u);
}

// One vectorised kind fixed at compile time, its parameters broadcast once by
// the caller (alpha: leaky ReLU's slope or the clamp's low end; beta: its
// high end). Epilogues that store many vectors switch on the kind once, not
// once per vector.
template <fovea_activation_kind KIND>
FOVEA_TARGET_AVX512 FOVEA_ALWAYS_INLINE __m512 activate_avx512_as(__m512 v, __m512 alpha, __m512 beta) {
    const __m512 zero = _mm512_setzero_ps();
    if constexpr (KIND == FOVEA_ACTIVATION_RELU) {
        return _mm512_max_ps(zero, v);
    } else if constexpr (KIND == FOVEA_ACTIVATION_RELU6) {
        return _mm512_min_ps(_mm512_set1_ps(6.0f), _mm512_max_ps(zero, v));
    } else if constexpr (KIND == FOVEA_ACTIVATION_LEAKY_RELU) {
        const __mmask16 negative = _mm512_cmp_ps_mask(v, zero, _CMP_LT_OQ);
        return _mm512_mask_mul_ps(v, negative, v, alpha);
    } else if constexpr (KIND == FOVEA_ACTIVATION_CLAMP) {
        // Same order as the scalar definition, so alpha > beta agrees too.
        const __mmask16 below = _mm512_cmp_ps_mask(v, alpha, _CMP_LT_OQ);
        return _mm512_mask_blend_ps(below, _mm512_min_ps(beta, v), alpha);
    } else {
        static_assert(KIND == FOVEA_ACTIVATION_NONE, "not a vectorised kind");
        (void)alpha, (void)beta;
        return v;
    }
}

FOVEA_TARGET_AVX512 static inline __m512 activate_avx512(const fovea_activation &act, __m512 v) {
    const __m512 alpha = _mm512_set1_ps(act.alpha), beta = _mm512_set1_ps(act.beta);
    switch (act.kind) {
        case FOVEA_ACTIVATION_NONE: return v;
        case FOVEA_ACTIVATION_RELU: return activate_avx512_as<FOVEA_ACTIVATION_RELU>(v, alpha, beta);
        case FOVEA_ACTIVATION_RELU6: return activate_avx512_as<FOVEA_ACTIVATION_RELU6>(v, alpha, beta);
        case FOVEA_ACTIVATION_LEAKY_RELU: return activate_avx512_as<FOVEA_ACTIVATION_LEAKY_RELU>(v, alpha, beta);
        case FOVEA_ACTIVATION_CLAMP: return activate_avx512_as<FOVEA_ACTIVATION_CLAMP>(v, alpha, beta);
        default: break;
    }
    alignas(64) float lanes[16];
    _mm512_store_ps(lanes, v);
    for (float &x : lanes) x = reference::activate(act, x);
    return _mm512_load_ps(lanes);
}

// Mask with lanes [0, count) set, for maskload/maskstore; count clamped to [0, 8].
FOVEA_TARGET_AVX2 static inline __m256i tail_mask8(int64_t count) {
    alignas(32) static const int32_t table[16] = {-1, -1, -1, -1, -1, -1, -1, -1,
                                                  0,  0,  0,  0,  0,  0,  0,  0};
    const int64_t n = count < 0 ? 0 : (count > 8 ? 8 : count);
    return _mm256_loadu_si256(reinterpret_cast<const __m256i *>(table + 8 - n));
}

FOVEA_TARGET_AVX2 static inline __m256 activate_avx2(const fovea_activation &act, __m256 v) {
    const __m256 zero = _mm256_setzero_ps();
    switch (act.kind) {
        case FOVEA_ACTIVATION_NONE: return v;
        case FOVEA_ACTIVATION_RELU: return _mm256_max_ps(zero, v);
        case FOVEA_ACTIVATION_RELU6:
            return _mm256_min_ps(_mm256_set1_ps(6.0f), _mm256_max_ps(zero, v));
        case FOVEA_ACTIVATION_LEAKY_RELU: {
            const __m256 negative = _mm256_cmp_ps(v, zero, _CMP_LT_OQ);
            return _mm256_blendv_ps(v, _mm256_mul_ps(v, _mm256_set1_ps(act.alpha)), negative);
        }
        case FOVEA_ACTIVATION_CLAMP: {
            // Same order as the scalar definition, so alpha > beta agrees too.
            const __m256 low = _mm256_set1_ps(act.alpha);
            const __m256 below = _mm256_cmp_ps(v, low, _CMP_LT_OQ);
            return _mm256_blendv_ps(_mm256_min_ps(_mm256_set1_ps(act.beta), v), low, below);
        }
        default: break;
    }
    alignas(32) float lanes[8];
    _mm256_store_ps(lanes, v);
    for (float &x : lanes) x = reference::activate(act, x);
    return _mm256_load_ps(lanes);
}

}  // namespace fovea::simd

#endif  // __x86_64__
