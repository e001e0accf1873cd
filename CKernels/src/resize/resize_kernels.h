// Nearest and bilinear resize over NHWC, vectorised over channels
// (common/vec.h), instantiated per instruction set by resize_*.cpp. The
// source index and weight of every output row and column are computed once
// per call, with the reference kernel's own coordinate functions.
#pragma once

#include <cstdint>

#include "common/vec.h"

namespace fovea::resize {

using simd::Vec;

struct Axis {
    const int64_t *i0;  // per output index: first (or nearest) source index
    const int64_t *i1;  // second source index (linear)
    const float *w1;    // weight of i1 (linear)
};

struct Args {
    const float *x;
    float *y;
    int64_t channels, in_height, in_width, out_height, out_width;
    bool linear;
    Axis rows, columns;
};

// Output rows [begin, end) over batch * out_height.
template <int W>
inline __attribute__((always_inline)) void resize(const Args &a, int64_t begin, int64_t end) {
    const int64_t C = a.channels;
    for (int64_t r = begin; r < end; ++r) {
        const int64_t n = r / a.out_height, oh = r % a.out_height;
        const float *image = a.x + n * a.in_height * a.in_width * C;
        float *out = a.y + r * a.out_width * C;
        const float *row0 = image + a.rows.i0[oh] * a.in_width * C;
        const float *row1 = image + (a.linear ? a.rows.i1[oh] : a.rows.i0[oh]) * a.in_width * C;
        const float wy = a.linear ? a.rows.w1[oh] : 0.0f;
        for (int64_t ow = 0; ow < a.out_width; ++ow) {
            const int64_t c0i = a.columns.i0[ow] * C;
            if (!a.linear) {
                for (int64_t c = 0; c < C; c += W) {
                    Vec<W> v;
                    simd::load<W>(v, row0 + c0i + c, C - c);
                    simd::store<W>(out + ow * C + c, v, C - c);
                }
                continue;
            }
            const int64_t c1i = a.columns.i1[ow] * C;
            const float wx = a.columns.w1[ow];
            for (int64_t c = 0; c < C; c += W) {
                const int64_t valid = C - c;
                Vec<W> p00, p01, p10, p11;
                simd::load<W>(p00, row0 + c0i + c, valid);
                simd::load<W>(p01, row0 + c1i + c, valid);
                simd::load<W>(p10, row1 + c0i + c, valid);
                simd::load<W>(p11, row1 + c1i + c, valid);
                const Vec<W> top = p00 + wx * (p01 - p00), bottom = p10 + wx * (p11 - p10);
                simd::store<W>(out + ow * C + c, top + wy * (bottom - top), valid);
            }
        }
    }
}

using Kernel = void (*)(const Args &, int64_t, int64_t);
Kernel kernel_scalar();
#if defined(__x86_64__)
Kernel kernel_avx2();
Kernel kernel_avx512();
#endif

}  // namespace fovea::resize
