// AVX-512 activations and PReLU. The piecewise-linear kinds are computed in
// zmm registers; sigmoid and tanh go through the reference definition per
// element for now. Elementwise, so any chunking gives the same result.
#if defined(__x86_64__)

#include <immintrin.h>

#include <algorithm>
#include <cstdint>

#include "act/activation_kernels.h"
#include "act/activation_simd.h"
#include "threadpool/threadpool.h"

namespace fovea {
namespace {

using simd::tail_mask16;

// Chunks of whole vectors keep every chunk but the last free of tails.
int64_t vector_grain(int64_t count) { return (grain_for(count, 1 << 14) + 15) / 16 * 16; }

FOVEA_TARGET_AVX512 void activate_range(const fovea_activation &act, const float *x, float *y,
                                        int64_t begin, int64_t end) {
    int64_t i = begin;
    for (; i + 16 <= end; i += 16)
        _mm512_storeu_ps(y + i, simd::activate_avx512(act, _mm512_loadu_ps(x + i)));
    if (i < end) {
        const __mmask16 m = tail_mask16(end - i);
        _mm512_mask_storeu_ps(y + i, m, simd::activate_avx512(act, _mm512_maskz_loadu_ps(m, x + i)));
    }
}

FOVEA_TARGET_AVX512 static inline __m512 prelu(__m512 v, __m512 slope) {
    const __mmask16 negative = _mm512_cmp_ps_mask(v, _mm512_setzero_ps(), _CMP_LT_OQ);
    return _mm512_mask_mul_ps(v, negative, slope, v);
}

// One slope for everything: the rows are one flat run of elements.
FOVEA_TARGET_AVX512 void prelu_flat(float slope, const float *x, float *y, int64_t begin,
                                    int64_t end) {
    const __m512 s = _mm512_set1_ps(slope);
    int64_t i = begin;
    for (; i + 16 <= end; i += 16) _mm512_storeu_ps(y + i, prelu(_mm512_loadu_ps(x + i), s));
    if (i < end) {
        const __mmask16 m = tail_mask16(end - i);
        _mm512_mask_storeu_ps(y + i, m, prelu(_mm512_maskz_loadu_ps(m, x + i), s));
    }
}

FOVEA_TARGET_AVX512 void prelu_rows(int64_t channels, const float *x, const float *slope,
                                    float *y, int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
        const float *xr = x + r * channels;
        float *yr = y + r * channels;
        int64_t c = 0;
        for (; c + 16 <= channels; c += 16)
            _mm512_storeu_ps(yr + c, prelu(_mm512_loadu_ps(xr + c), _mm512_loadu_ps(slope + c)));
        if (c < channels) {
            const __mmask16 m = tail_mask16(channels - c);
            _mm512_mask_storeu_ps(
                yr + c, m, prelu(_mm512_maskz_loadu_ps(m, xr + c), _mm512_maskz_loadu_ps(m, slope + c)));
        }
    }
}

FOVEA_TARGET_AVX512 void residual_block_avx512(const fovea_activation *activation, int64_t rows, int64_t columns,
                                      int64_t stride, float *c, const float *r, int64_t r_stride) {
    const bool piecewise = activation->kind != FOVEA_ACTIVATION_SIGMOID && activation->kind != FOVEA_ACTIVATION_TANH &&
                           activation->kind != FOVEA_ACTIVATION_NONE;
    for (int64_t i = 0; i < rows; ++i) {
        float *row = c + i * stride;
        const float *add = r + i * r_stride;
        int64_t j = 0;
        for (; j + 16 <= columns; j += 16) {
            __m512 v = _mm512_add_ps(_mm512_loadu_ps(add + j), _mm512_loadu_ps(row + j));
            if (piecewise) v = simd::activate_avx512(*activation, v);
            _mm512_storeu_ps(row + j, v);
        }
        if (j < columns) {
            const __mmask16 m = tail_mask16(columns - j);
            __m512 v = _mm512_add_ps(_mm512_maskz_loadu_ps(m, add + j), _mm512_maskz_loadu_ps(m, row + j));
            if (piecewise) v = simd::activate_avx512(*activation, v);
            _mm512_mask_storeu_ps(row + j, m, v);
        }
    }
}

}  // namespace

fovea_status activation_forward_avx512(const fovea_activation *activation, int64_t count,
                                       const float *x, float *y) {
    const fovea_activation act = *activation;
    if (count <= 0) return FOVEA_STATUS_SUCCESS;
    if (!simd::activation_is_vectorised(act.kind)) {
        parallel_for(count, grain_for(count, 1 << 12), [&](int64_t begin, int64_t end) {
            for (int64_t i = begin; i < end; ++i) y[i] = reference::activate(act, x[i]);
        });
        return FOVEA_STATUS_SUCCESS;
    }
    parallel_for(count, vector_grain(count),
                 [&](int64_t begin, int64_t end) { activate_range(act, x, y, begin, end); });
    return FOVEA_STATUS_SUCCESS;
}

fovea_status prelu_forward_avx512(int64_t rows, int64_t channels, const float *x,
                                  const float *slope, float *y) {
    if (rows <= 0 || channels <= 0) return FOVEA_STATUS_SUCCESS;
    if (channels == 1) {
        const int64_t count = rows;
        parallel_for(count, vector_grain(count),
                     [&](int64_t begin, int64_t end) { prelu_flat(slope[0], x, y, begin, end); });
        return FOVEA_STATUS_SUCCESS;
    }
    parallel_for(rows, grain_for(rows, std::max<int64_t>(1, (1 << 14) / channels)),
                 [&](int64_t r0, int64_t r1) { prelu_rows(channels, x, slope, y, r0, r1); });
    return FOVEA_STATUS_SUCCESS;
}

// c = act(r + c) over a block of rows (sigmoid and tanh left to the caller).
void residual_rows_avx512(const fovea_activation *activation, int64_t rows, int64_t columns, int64_t stride,
                        float *c, const float *r, int64_t r_stride) {
    residual_block_avx512(activation, rows, columns, stride, c, r, r_stride);
}

}  // namespace fovea

#endif  // __x86_64__
