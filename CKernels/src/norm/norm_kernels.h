// Batch and instance normalisation over channels-last data, vectorised over
// channels (common/vec.h), instantiated per instruction set by norm_*.cpp.
// Statistics sum in double, as the reference does.
#pragma once

#include <cmath>
#include <cstdint>

#include "common/vec.h"

namespace fovea::norm {

using simd::DVec;
using simd::Vec;

// y = (x - shift) * scale + offset per channel, rows [begin, end) of
// [rows, C]. Centring first keeps the precision a folded x * a + b would lose
// when the data sit far from zero.
template <int W>
inline __attribute__((always_inline)) void affine(int64_t channels, const float *x, const float *shift,
                                                  const float *a, const float *b, float *y, int64_t begin,
                                                  int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
        const float *xr = x + r * channels;
        float *yr = y + r * channels;
        for (int64_t c0 = 0; c0 < channels; c0 += W) {
            const int64_t valid = channels - c0;
            Vec<W> v, centre, scale, offset;
            simd::load<W>(v, xr + c0, valid);
            simd::load<W>(centre, shift + c0, valid);
            simd::load<W>(scale, a + c0, valid);
            simd::load<W>(offset, b + c0, valid);
            simd::store<W>(yr + c0, (v - centre) * scale + offset, valid);
        }
    }
}

// Per-channel sum and sum of squares (double) of rows [0, rows) of [rows, C],
// for channels [c_begin, c_end) (a whole number of vectors but the last).
template <int W>
inline __attribute__((always_inline)) void moments(int64_t rows, int64_t channels, const float *x, double *sum,
                                                   double *squares, int64_t c_begin, int64_t c_end) {
    for (int64_t c0 = c_begin; c0 < c_end; c0 += W) {
        const int64_t valid = c_end - c0;
        DVec<W> s = 0, q = 0;
        for (int64_t r = 0; r < rows; ++r) {
            Vec<W> v;
            simd::load<W>(v, x + r * channels + c0, valid);
            const DVec<W> d = __builtin_convertvector(v, DVec<W>);
            s += d;
            q += d * d;
        }
        for (int l = 0; l < W && l < valid; ++l) {
            sum[c0 + l] = s[l];
            squares[c0 + l] = q[l];
        }
    }
}

// Per-channel sum(dy) and sum(dy * (x - mean)) (double) over rows [0, rows),
// channels [c_begin, c_end): the reductions of batch norm's backward pass.
template <int W>
inline __attribute__((always_inline)) void gradient_sums(int64_t rows, int64_t channels, const float *x,
                                                         const float *dy, const float *mean, double *sum_dy,
                                                         double *sum_dy_centred, int64_t c_begin, int64_t c_end) {
    for (int64_t c0 = c_begin; c0 < c_end; c0 += W) {
        const int64_t valid = c_end - c0;
        Vec<W> centre;
        simd::load<W>(centre, mean + c0, valid);
        DVec<W> s = 0, q = 0;
        for (int64_t r = 0; r < rows; ++r) {
            Vec<W> v, g;
            simd::load<W>(v, x + r * channels + c0, valid);
            simd::load<W>(g, dy + r * channels + c0, valid);
            const DVec<W> gd = __builtin_convertvector(g, DVec<W>);
            s += gd;
            q += gd * __builtin_convertvector(v - centre, DVec<W>);
        }
        for (int l = 0; l < W && l < valid; ++l) {
            sum_dy[c0 + l] = s[l];
            sum_dy_centred[c0 + l] = q[l];
        }
    }
}

// dx = a * dy + k * (x - mean) + b per channel, rows [begin, end): batch
// norm's input gradient with its per-channel coefficients worked out.
template <int W>
inline __attribute__((always_inline)) void gradient_affine(int64_t channels, const float *x, const float *dy,
                                                           const float *mean, const float *a, const float *k,
                                                           const float *b, float *dx, int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
        for (int64_t c0 = 0; c0 < channels; c0 += W) {
            const int64_t valid = channels - c0;
            Vec<W> v, g, centre, va, vk, vb;
            simd::load<W>(v, x + r * channels + c0, valid);
            simd::load<W>(g, dy + r * channels + c0, valid);
            simd::load<W>(centre, mean + c0, valid);
            simd::load<W>(va, a + c0, valid);
            simd::load<W>(vk, k + c0, valid);
            simd::load<W>(vb, b + c0, valid);
            simd::store<W>(dx + r * channels + c0, va * g + vk * (v - centre) + vb, valid);
        }
    }
}

struct Kernels {
    void (*affine)(int64_t, const float *, const float *, const float *, const float *, float *, int64_t, int64_t);
    void (*moments)(int64_t, int64_t, const float *, double *, double *, int64_t, int64_t);
    void (*gradient_sums)(int64_t, int64_t, const float *, const float *, const float *, double *, double *, int64_t,
                          int64_t);
    void (*gradient_affine)(int64_t, const float *, const float *, const float *, const float *, const float *,
                            const float *, float *, int64_t, int64_t);
    int width;
};

Kernels kernels_scalar();
#if defined(__x86_64__)
Kernels kernels_avx2();
Kernels kernels_avx512();
#endif

}  // namespace fovea::norm
