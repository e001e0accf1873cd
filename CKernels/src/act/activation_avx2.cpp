// AVX2 activations and PReLU: the piecewise-linear kinds in ymm registers,
// masked loads and stores for tails; sigmoid and tanh go through the reference
// definition per element for now. Elementwise, so any chunking gives the same
// result.
#if defined(__x86_64__)

#include <immintrin.h>

#include <algorithm>
#include <cstdint>

#include "act/activation_kernels.h"
#include "act/activation_simd.h"
#include "threadpool/threadpool.h"

namespace fovea {
namespace {

using simd::tail_mask8;

// Chunks of whole vectors keep every chunk but the last free of tails.
int64_t vector_grain(int64_t count) { return (grain_for(count, 1 << 14) + 7) / 8 * 8; }

FOVEA_TARGET_AVX2 void activate_range(const fovea_activation &act, const float *x, float *y,
                                      int64_t begin, int64_t end) {
    int64_t i = begin;
    for (; i + 8 <= end; i += 8)
        _mm256_storeu_ps(y + i, simd::activate_avx2(act, _mm256_loadu_ps(x + i)));
    if (i < end) {
        const __m256i m = tail_mask8(end - i);
        _mm256_maskstore_ps(y + i, m, simd::activate_avx2(act, _mm256_maskload_ps(x + i, m)));
    }
}

FOVEA_TARGET_AVX2 static inline __m256 prelu(__m256 v, __m256 slope) {
    const __m256 negative = _mm256_cmp_ps(v, _mm256_setzero_ps(), _CMP_LT_OQ);
    return _mm256_blendv_ps(v, _mm256_mul_ps(slope, v), negative);
}

// One slope for everything: the rows are one flat run of elements.
FOVEA_TARGET_AVX2 void prelu_flat(float slope, const float *x, float *y, int64_t begin,
                                  int64_t end) {
    const __m256 s = _mm256_set1_ps(slope);
    int64_t i = begin;
    for (; i + 8 <= end; i += 8) _mm256_storeu_ps(y + i, prelu(_mm256_loadu_ps(x + i), s));
    if (i < end) {
        const __m256i m = tail_mask8(end - i);
        _mm256_maskstore_ps(y + i, m, prelu(_mm256_maskload_ps(x + i, m), s));
    }
}

FOVEA_TARGET_AVX2 void prelu_rows(int64_t channels, const float *x, const float *slope,
                                  float *y, int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
        const float *xr = x + r * channels;
        float *yr = y + r * channels;
        int64_t c = 0;
        for (; c + 8 <= channels; c += 8)
            _mm256_storeu_ps(yr + c, prelu(_mm256_loadu_ps(xr + c), _mm256_loadu_ps(slope + c)));
        if (c < channels) {
            const __m256i m = tail_mask8(channels - c);
            _mm256_maskstore_ps(
                yr + c, m, prelu(_mm256_maskload_ps(xr + c, m), _mm256_maskload_ps(slope + c, m)));
        }
    }
}

FOVEA_TARGET_AVX2 void residual_block_avx2(const fovea_activation *activation, int64_t rows, int64_t columns,
                                      int64_t stride, float *c, const float *r, int64_t r_stride) {
    const bool piecewise = activation->kind != FOVEA_ACTIVATION_SIGMOID && activation->kind != FOVEA_ACTIVATION_TANH &&
                           activation->kind != FOVEA_ACTIVATION_NONE;
    for (int64_t i = 0; i < rows; ++i) {
        float *row = c + i * stride;
        const float *add = r + i * r_stride;
        int64_t j = 0;
        for (; j + 8 <= columns; j += 8) {
            __m256 v = _mm256_add_ps(_mm256_loadu_ps(add + j), _mm256_loadu_ps(row + j));
            if (piecewise) v = simd::activate_avx2(*activation, v);
            _mm256_storeu_ps(row + j, v);
        }
        if (j < columns) {
            const __m256i m = tail_mask8(columns - j);
            __m256 v = _mm256_add_ps(_mm256_maskload_ps(add + j, m), _mm256_maskload_ps(row + j, m));
            if (piecewise) v = simd::activate_avx2(*activation, v);
            _mm256_maskstore_ps(row + j, m, v);
        }
    }
}

}  // namespace

fovea_status activation_forward_avx2(const fovea_activation *activation, int64_t count,
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

fovea_status prelu_forward_avx2(int64_t rows, int64_t channels, const float *x,
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
void residual_rows_avx2(const fovea_activation *activation, int64_t rows, int64_t columns, int64_t stride,
                        float *c, const float *r, int64_t r_stride) {
    residual_block_avx2(activation, rows, columns, stride, c, r, r_stride);
}

}  // namespace fovea

#endif  // __x86_64__
