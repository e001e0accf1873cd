// Sigmoid, tanh and softmax in vector registers, written once over a generic
// vector of W floats (common/vec.h) and instantiated per instruction set by
// transcendental_*.cpp.
//
// exp uses Cody-Waite range reduction (x = n ln2 + r, |r| <= ln2/2) and a
// degree-6 polynomial for e^r, then scales by 2^n through the exponent bits:
// about 1 ulp. Measured largest errors (ActivationAccuracyTests, against
// double precision): sigmoid and tanh 2e-6 relative (absolute below 1e-30),
// softmax 1e-5 relative.
#pragma once

#include <cstdint>
#include <cstring>
#include <limits>

#include "common/vec.h"

namespace fovea::transcendental {

using simd::Vec;

template <int W>
using IVec = int32_t __attribute__((ext_vector_type(W)));

template <int W>
inline __attribute__((always_inline)) void exp(Vec<W> &v) {
    const Vec<W> x = v;
    Vec<W> clamped = __builtin_elementwise_min(__builtin_elementwise_max(x, Vec<W>(-87.3f)), Vec<W>(88.37f));
    const Vec<W> n = __builtin_elementwise_floor(clamped * 1.44269504088896341f + 0.5f);
    Vec<W> r = clamped - n * 0.693359375f;
    r = r - n * -2.12194440e-4f;
    Vec<W> p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * (r * r) + r + 1.0f;
    const IVec<W> bits = (__builtin_convertvector(n, IVec<W>) + 127) << 23;
    Vec<W> scale;
    std::memcpy(&scale, &bits, sizeof scale);
    Vec<W> result = p * scale;
    // Past the clamps: 0 below, infinity above (NaN stays NaN).
    result = x < -87.3f ? Vec<W>(0) : result;
    result = x > 88.72f ? Vec<W>(std::numeric_limits<float>::infinity()) : result;
    v = x != x ? x : result;
}

template <int W>
inline __attribute__((always_inline)) void sigmoid(Vec<W> &v) {
    Vec<W> e = -v;
    exp<W>(e);
    v = 1.0f / (1.0f + e);
}

template <int W>
inline __attribute__((always_inline)) void tanh(Vec<W> &v) {
    const Vec<W> x = v;
    const Vec<W> a = __builtin_elementwise_abs(x);
    Vec<W> e = -2.0f * a;
    exp<W>(e);
    Vec<W> large = (1.0f - e) / (1.0f + e);
    large = x < 0 ? -large : large;
    // Near zero 1 - e cancels: the Taylor series is exact to float there.
    const Vec<W> x2 = x * x;
    const Vec<W> small = x * (1.0f + x2 * (-1.0f / 3 + x2 * (2.0f / 15 + x2 * (-17.0f / 315))));
    v = a < 0.1f ? small : large;
}

template <int W, bool Sigmoid>
inline __attribute__((always_inline)) void apply(const float *x, float *y, int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; i += W) {
        Vec<W> v;
        simd::load<W>(v, x + i, end - i);
        if (Sigmoid) sigmoid<W>(v);
        else tanh<W>(v);
        simd::store<W>(y + i, v, end - i);
    }
}

// Softmax of rows [begin, end) of [outer, axis, inner] along the middle axis;
// vectorised along the axis when inner == 1, across inner otherwise.
template <int W>
inline __attribute__((always_inline)) void softmax(int64_t axis, int64_t inner, const float *x, float *y,
                                                   int64_t begin, int64_t end) {
    for (int64_t o = begin; o < end; ++o) {
        const float *xr = x + o * axis * inner;
        float *yr = y + o * axis * inner;
        if (inner == 1) {
            Vec<W> m = -std::numeric_limits<float>::infinity();
            for (int64_t i = 0; i < axis; i += W) {
                Vec<W> v;
                simd::load<W>(v, xr + i, axis - i, -std::numeric_limits<float>::infinity());
                m = __builtin_elementwise_max(m, v);
            }
            float largest = m[0];
            for (int l = 1; l < W; ++l) largest = largest > m[l] ? largest : m[l];
            Vec<W> sum = 0;
            for (int64_t i = 0; i < axis; i += W) {
                Vec<W> v;
                simd::load<W>(v, xr + i, axis - i, -std::numeric_limits<float>::infinity());
                v = v - largest;
                exp<W>(v);
                sum += v;
                simd::store<W>(yr + i, v, axis - i);
            }
            float total = 0;
            for (int l = 0; l < W; ++l) total += sum[l];
            const float inverse = 1.0f / total;
            for (int64_t i = 0; i < axis; i += W) {
                Vec<W> v;
                simd::load<W>(v, yr + i, axis - i);
                simd::store<W>(yr + i, v * inverse, axis - i);
            }
        } else {
            for (int64_t c0 = 0; c0 < inner; c0 += W) {
                const int64_t valid = inner - c0;
                Vec<W> m = -std::numeric_limits<float>::infinity();
                for (int64_t a = 0; a < axis; ++a) {
                    Vec<W> v;
                    simd::load<W>(v, xr + a * inner + c0, valid);
                    m = __builtin_elementwise_max(m, v);
                }
                Vec<W> sum = 0;
                for (int64_t a = 0; a < axis; ++a) {
                    Vec<W> v;
                    simd::load<W>(v, xr + a * inner + c0, valid);
                    v = v - m;
                    exp<W>(v);
                    sum += v;
                    simd::store<W>(yr + a * inner + c0, v, valid);
                }
                const Vec<W> inverse = 1.0f / sum;
                for (int64_t a = 0; a < axis; ++a) {
                    Vec<W> v;
                    simd::load<W>(v, yr + a * inner + c0, valid);
                    simd::store<W>(yr + a * inner + c0, v * inverse, valid);
                }
            }
        }
    }
}

struct Kernels {
    void (*sigmoid)(const float *, float *, int64_t, int64_t);
    void (*tanh)(const float *, float *, int64_t, int64_t);
    void (*softmax)(int64_t, int64_t, const float *, float *, int64_t, int64_t);
};

Kernels kernels_scalar();
#if defined(__x86_64__)
Kernels kernels_avx2();
Kernels kernels_avx512();
#endif

}  // namespace fovea::transcendental
