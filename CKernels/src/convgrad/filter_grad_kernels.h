// The weight gradient of a 1-D or 2-D convolution with few output channels,
// NHWC, without an im2col copy: ∂L/∂w[t, k] = Σ_pixels x[pixel + offset(t)] ·
// ∂L/∂y[pixel, k], where t runs over the taps (kh, kw, c) of the HWIO weight.
//
// With K ≤ 2 vectors of output channels, a chunk of T taps keeps T × KB
// accumulators in registers for the whole batch: per output pixel one load
// of ∂L/∂y and T broadcasts of x, no intermediate matrix. Small networks
// (LeNet's 6 and 16 channels) spent most of their backward pass copying
// im2col rows of a few floats; larger layers keep im2col + SGEMM.
//
// Each chunk of taps sums its pixels in one fixed order and chunks never
// share an output, so the result does not depend on how chunks are spread
// over threads.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "common/vec.h"

namespace fovea::convgrad {

struct FilterArgs {
    const float *x;   // [N, H, W, C]
    const float *dy;  // [N, OH, OW, K]
    float *dw;        // [KH, KW, C, K]
    int64_t batch, height, width, channels, out_channels, out_height, out_width;
    int64_t kernel_h, kernel_w, stride_h, stride_w, dilation_h, dilation_w, pad_top, pad_left;
    int64_t chunk_begin, chunk_end;  // chunks of taps to compute, of `taps_per_chunk` each
    int64_t taps_per_chunk;
};

constexpr int clip(int taps, int most) { return taps < most ? taps : most; }

using simd::Vec;
using simd::load;
using simd::store;

// The most taps a chunk holds, at vector width `lanes` with `blocks` vectors of
// output channels: accumulators are taps × blocks, 24 of AVX-512's 32 vector
// registers and 12 of the others' 16; and each tap keeps its offset in a
// general register (16 in all), which caps a chunk at 12 taps.
constexpr int chunk_limit(int lanes, int blocks) { return clip((lanes == 16 ? 24 : 12) / blocks, 12); }

// Taps [t0, t0 + count) (count ≤ T) for output channels [0, K), K ≤ KB·W.
template <int W, int T, int KB>
inline __attribute__((always_inline)) void chunk(const FilterArgs &a, int64_t t0, int64_t count) {
    const int64_t C = a.channels, K = a.out_channels;
    const int64_t H = a.height, Wd = a.width;
    int64_t offset[T], kh_of[T], kw_of[T], channel[T];
    for (int t = 0; t < T; ++t) {
        // Taps past the chunk repeat its last tap: computed, never stored.
        const int64_t tap = t0 + std::min<int64_t>(t, count - 1);
        const int64_t c = tap % C, kw = (tap / C) % a.kernel_w, kh = tap / (C * a.kernel_w);
        kh_of[t] = kh * a.dilation_h;
        kw_of[t] = kw * a.dilation_w;
        channel[t] = c;
        offset[t] = (kh_of[t] * Wd + kw_of[t]) * C + c;
    }
    Vec<W> acc[T][KB];
#pragma clang loop unroll(full)
    for (int t = 0; t < T; ++t)
#pragma clang loop unroll(full)
        for (int b = 0; b < KB; ++b) acc[t][b] = 0;
    const float *dy_end = a.dy + a.batch * a.out_height * a.out_width * K;
    const int64_t extent_h = (a.kernel_h - 1) * a.dilation_h, extent_w = (a.kernel_w - 1) * a.dilation_w;
    // Output columns whose whole window lies inside the image horizontally.
    const int64_t ow_begin = std::min(a.out_width, (a.pad_left + a.stride_w - 1) / a.stride_w);
    const int64_t last_left = Wd - 1 - extent_w + a.pad_left;  // the largest ow * stride inside; may be < 0
    const int64_t ow_end =
        last_left < 0 ? ow_begin : std::max(ow_begin, std::min(a.out_width, last_left / a.stride_w + 1));
    auto pixel = [&](const float *image, const float *g, int64_t iy0, int64_t ix0, bool inside)
                     __attribute__((always_inline)) {
        // Lanes past K hold whatever follows in ∂L/∂y (they are never
        // stored); only the last pixels, where that would run past the end
        // of the buffer, load lane by lane.
        Vec<W> gv[KB];
        if (g + KB * W <= dy_end) {
#pragma clang loop unroll(full)
            for (int b = 0; b < KB; ++b) std::memcpy(&gv[b], g + b * W, sizeof gv[b]);
        } else {
#pragma clang loop unroll(full)
            for (int b = 0; b < KB; ++b) load<W>(gv[b], g + b * W, K - b * W);
        }
        if (inside) {
            const float *origin = image + (iy0 * Wd + ix0) * C;
#pragma clang loop unroll(full)
            for (int t = 0; t < T; ++t) {
                const Vec<W> xv = origin[offset[t]];
#pragma clang loop unroll(full)
                for (int b = 0; b < KB; ++b) acc[t][b] += xv * gv[b];
            }
        } else {
#pragma clang loop unroll(full)
            for (int t = 0; t < T; ++t) {
                const int64_t iy = iy0 + kh_of[t], ix = ix0 + kw_of[t];
                if (iy < 0 || iy >= H || ix < 0 || ix >= Wd) continue;
                const Vec<W> xv = image[(iy * Wd + ix) * C + channel[t]];
#pragma clang loop unroll(full)
                for (int b = 0; b < KB; ++b) acc[t][b] += xv * gv[b];
            }
        }
    };
    for (int64_t n = 0; n < a.batch; ++n) {
        const float *image = a.x + n * H * Wd * C;
        for (int64_t oh = 0; oh < a.out_height; ++oh) {
            const int64_t iy0 = oh * a.stride_h - a.pad_top;
            const bool rows_inside = iy0 >= 0 && iy0 + extent_h < H;
            const float *g = a.dy + (n * a.out_height + oh) * a.out_width * K;
            for (int64_t ow = 0; ow < a.out_width; ++ow) {
                const bool inside = rows_inside && ow >= ow_begin && ow < ow_end;
                pixel(image, g + ow * K, iy0, ow * a.stride_w - a.pad_left, inside);
            }
        }
    }
    // Unrolled with constant indices: a loop to `count` would index the
    // accumulators at run time and push them out of registers.
#pragma clang loop unroll(full)
    for (int t = 0; t < T; ++t)
#pragma clang loop unroll(full)
        for (int b = 0; b < KB; ++b)
            if (t < count && b * W < K) store<W>(a.dw + (t0 + t) * K + b * W, acc[t][b], K - b * W);
}

template <int W, int KB>
inline __attribute__((always_inline)) void chunks(const FilterArgs &a) {
    constexpr int kMax = chunk_limit(W, KB);
    const int64_t taps = a.kernel_h * a.kernel_w * a.channels;
    for (int64_t i = a.chunk_begin; i < a.chunk_end; ++i) {
        const int64_t t0 = i * a.taps_per_chunk;
        const int64_t count = std::min(a.taps_per_chunk, taps - t0);
        // Register blocks in steps of 4 taps keep the number of variants
        // small; count never exceeds kMax (max_taps_per_chunk).
        if (count <= 4) chunk<W, clip(4, kMax), KB>(a, t0, count);
        else if (count <= 8) chunk<W, clip(8, kMax), KB>(a, t0, count);
        else chunk<W, kMax, KB>(a, t0, count);
    }
}

// Chunks [a.chunk_begin, a.chunk_end); K ≤ 2W.
template <int W>
inline __attribute__((always_inline)) void filter_gradient(const FilterArgs &a) {
    if (a.out_channels <= W) chunks<W, 1>(a);
    else chunks<W, 2>(a);
}

// The largest number of taps a chunk may hold for K output channels, or 0
// when K is too wide for this kernel at vector width `lanes`.
inline int64_t max_taps_per_chunk(int64_t out_channels, int lanes) {
    if (out_channels > 2 * lanes) return 0;
    return chunk_limit(lanes, out_channels <= lanes ? 1 : 2);
}

using FilterKernel = void (*)(const FilterArgs &);
FilterKernel filter_kernel_scalar();
#if defined(__x86_64__)
FilterKernel filter_kernel_avx2();
FilterKernel filter_kernel_avx512();
#endif

}  // namespace fovea::convgrad
