// The gather half of the fast transposed convolution: every output pixel adds
// up, in a fixed tap order, the channel vectors that the GEMM produced for the
// (input pixel, kernel tap) pairs that reach it. Written over a generic vector
// (common/vec.h) and instantiated per instruction set by col2im_*.cpp.
#pragma once

#include <cstdint>

#include "common/vec.h"

namespace fovea::col2im {

using simd::Vec;

struct Args {
    const float *columns;  // [N, in pixels, taps * M]: input pixel i times tap k, M channels
    const float *bias;     // M values, or nullptr
    float *y;              // [N, out pixels, M]
    int64_t channels;      // M
    int64_t in_size[3], out_size[3], kernel[3], stride[3], dilation[3], pad_begin[3];
    fovea_activation activation;
};

// The input index that tap k of output o reads along one axis, or -1.
inline int64_t source(int64_t o, int64_t k, int64_t stride, int64_t dilation, int64_t pad, int64_t size) {
    const int64_t t = o + pad - k * dilation;
    if (t < 0 || t % stride != 0) return -1;
    const int64_t i = t / stride;
    return i < size ? i : -1;
}

// Output rows [begin, end) over N * out_depth * out_height.
template <int W>
inline __attribute__((always_inline)) void gather(const Args &a, int64_t begin, int64_t end) {
    const int64_t M = a.channels;
    const int64_t taps = a.kernel[0] * a.kernel[1] * a.kernel[2];
    const int64_t in_pixels = a.in_size[0] * a.in_size[1] * a.in_size[2];
    const int64_t rows_per_image = a.out_size[0] * a.out_size[1];
    for (int64_t r = begin; r < end; ++r) {
        const int64_t n = r / rows_per_image, od = (r % rows_per_image) / a.out_size[1], oh = r % a.out_size[1];
        const float *image = a.columns + n * in_pixels * taps * M;
        float *out = a.y + r * a.out_size[2] * M;
        for (int64_t ow = 0; ow < a.out_size[2]; ++ow) {
            for (int64_t m0 = 0; m0 < M; m0 += W) {
                const int64_t valid = M - m0;
                Vec<W> acc = 0;
                if (a.bias) simd::load<W>(acc, a.bias + m0, valid);
                for (int64_t kd = 0; kd < a.kernel[0]; ++kd) {
                    const int64_t id = source(od, kd, a.stride[0], a.dilation[0], a.pad_begin[0], a.in_size[0]);
                    if (id < 0) continue;
                    for (int64_t kh = 0; kh < a.kernel[1]; ++kh) {
                        const int64_t ih = source(oh, kh, a.stride[1], a.dilation[1], a.pad_begin[1], a.in_size[1]);
                        if (ih < 0) continue;
                        for (int64_t kw = 0; kw < a.kernel[2]; ++kw) {
                            const int64_t iw = source(ow, kw, a.stride[2], a.dilation[2], a.pad_begin[2], a.in_size[2]);
                            if (iw < 0) continue;
                            const int64_t pixel = (id * a.in_size[1] + ih) * a.in_size[2] + iw;
                            const int64_t tap = (kd * a.kernel[1] + kh) * a.kernel[2] + kw;
                            Vec<W> v;
                            simd::load<W>(v, image + (pixel * taps + tap) * M + m0, valid);
                            acc += v;
                        }
                    }
                }
                simd::activate<W>(acc, a.activation);
                simd::store<W>(out + ow * M + m0, acc, valid);
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

}  // namespace fovea::col2im
