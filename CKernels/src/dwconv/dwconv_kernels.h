// Depthwise convolution (groups == input channels), NHWC, written once over a
// generic vector of W channels and instantiated per instruction set by
// dwconv_*.cpp.
//
// Depthwise layers do 9 or 25 multiply-adds per value they load, so they are
// bound by loads, not by arithmetic. Pixels therefore go in runs of R along
// the row: each input vector loaded for one kernel row feeds every output of
// the run it touches (a sliding window in registers), and each kernel tap's
// weights are loaded once per run. With AVX-512, 3x3 rows go in pairs, which
// read four input rows instead of six at stride 1 and five at stride 2, and
// give the FMAs twice as many independent accumulators. Runs whose window crosses
// the left or right edge read the columns outside as zero; the others are
// compiled without that test. Kernel rows outside the image are skipped for
// the whole row. The activation is chosen once per call, not per vector.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "common/vec.h"
#include "fovea_kernels.h"

namespace fovea::dwconv {

struct Args {
    const float *x;       // [N, H, W, C]
    const float *w;       // [KH, KW, C * multiplier] (HWIO with I = 1)
    const float *bias;    // C * multiplier values, or nullptr
    float *y;             // [N, OH, OW, C * multiplier]
    int64_t height, width, channels, multiplier;
    int64_t out_height, out_width;
    int64_t kernel_h, kernel_w, stride_h, stride_w, dilation_h, dilation_w, pad_top, pad_left;
    fovea_activation activation;
    int64_t row_begin, row_end;  // output rows (over batch * out_height) to compute
    int64_t y_first_row;         // the output row that y points at (0: the whole output)
};

using simd::Vec;
using simd::activate;
using simd::load;
using simd::store;

// One output pixel, all channels, taps clipped to the image (multiplier 1).
template <int W>
inline __attribute__((always_inline)) void pixel(const Args &a, const float *image, float *out, int64_t oh,
                                                 int64_t ow) {
    const int64_t C = a.channels;
    const int64_t top = oh * a.stride_h - a.pad_top, left = ow * a.stride_w - a.pad_left;
    for (int64_t c0 = 0; c0 < C; c0 += W) {
        const int64_t valid = C - c0;
        Vec<W> acc = 0;
        if (a.bias) load<W>(acc, a.bias + c0, valid);
        for (int64_t kh = 0; kh < a.kernel_h; ++kh) {
            const int64_t ih = top + kh * a.dilation_h;
            if (ih < 0 || ih >= a.height) continue;
            for (int64_t kw = 0; kw < a.kernel_w; ++kw) {
                const int64_t iw = left + kw * a.dilation_w;
                if (iw < 0 || iw >= a.width) continue;
                Vec<W> xv, wv;
                load<W>(xv, image + (ih * a.width + iw) * C + c0, valid);
                load<W>(wv, a.w + (kh * a.kernel_w + kw) * C + c0, valid);
                acc += xv * wv;
            }
        }
        activate<W>(acc, a.activation);
        store<W>(out + ow * C + c0, acc, valid);
    }
}

// Channel blocks of a run (C >= W): whole vectors, and channels past the last
// one covered by one more vector ending at C, overlapping the previous one: it
// recomputes a few channels with identical results instead of masking.
template <int W>
inline int64_t vector_blocks(int64_t C) {
    return (C + W - 1) / W;
}

// Where a run's window meets the image's sides, when known at compile time:
// a bit for one column of padding on the left of the span, a bit for one on
// its right (3x3, pad 1 at stride 1: the first and last runs of every row).
// kEdgeRuntime: any other overhang, tested column by column at run time. A
// 14-pixel row is one run at each edge and nothing between: with the test
// at run time, 14x14 maps cost 1.8 times as many cycles per pixel as 56x56
// ones; with the edges compiled, 14x14x576 took 76-79 thousand core cycles
// instead of 92-98, 14x14x384 49-50 instead of 60-62, 28x28x192 73-80
// instead of 77-94 (Emerald Rapids, one thread, interleaved).
constexpr int kInside = 0, kLeftColumn = 1, kRightColumn = 2, kEdgeRuntime = -1;

// R consecutive output pixels of a row, every whole channel block, kernel
// width KW and stride S fixed at compile time, no dilation. Input columns
// outside [0, width) read as zero, so runs may cross the left and right edges.
// The channel loop is innermost so that the address arithmetic of a run is
// paid once for all its channel blocks.
//
// KH > 0: the run takes kernel rows [0, KH), a count known at compile time,
// so that the loop over them unrolls (3x3 rows away from the top and bottom):
// with AVX2 the loop's own instructions were a fifth of a run's, which on a
// Zen 3 core, with its inputs in L2, issues about four instructions a cycle;
// unrolled, 16 % fewer instructions on 28x28x96 at stride 2 and 28x28x144 at
// stride 1.
template <int W, int R, int KW, int S, bool LEAKY, int EDGE = kEdgeRuntime, int KH = 0>
inline __attribute__((always_inline)) void run(const Args &a, const float *image, float *out, int64_t oh, int64_t ow,
                                               int64_t kh_begin, int64_t kh_end) {
    if constexpr (KH > 0) kh_begin = 0, kh_end = KH;
    const int64_t C = a.channels;
    const int64_t top = oh * a.stride_h - a.pad_top, left = ow * S - a.pad_left;
    constexpr int span = (R - 1) * S + KW;
    // Columns [valid_begin, valid_end) of the span lie inside the image.
    const int64_t valid_begin = left < 0 ? -left : 0;
    const int64_t valid_end = std::min<int64_t>(span, a.width - left);
    const bool inside = EDGE == kInside || (valid_begin == 0 && valid_end == span);
    // A column of padding known at compile time: neither loaded nor multiplied.
    auto padding = [](int i) {
        return EDGE != kEdgeRuntime && (((EDGE & kLeftColumn) && i == 0) || ((EDGE & kRightColumn) && i == span - 1));
    };
    const float *rows = image + ((top + kh_begin) * a.width + left) * C;
    const float *weights = a.w + kh_begin * KW * C;
    float *store_at = out + ow * C;
    const simd::FusedActivation<W, LEAKY> finish(a.activation);
    const int64_t blocks = vector_blocks<W>(C);
    // In locals: the stores below are memcpy's, which may alias `a`, and
    // would make every block read these fields again.
    const float *const bias_values = a.bias;
    const int64_t row_step = a.width * C;
    for (int64_t block = 0; block < blocks; ++block) {
        const int64_t c0 = std::min<int64_t>(block * W, C - W);
        Vec<W> acc[R];
        Vec<W> bias = 0;
        if (bias_values) std::memcpy(&bias, bias_values + c0, sizeof bias);
#pragma clang loop unroll(full)
        for (int r = 0; r < R; ++r) acc[r] = bias;
        const float *row = rows + c0;
        const float *wrow = weights + c0;
        for (int64_t kh = kh_begin; kh < kh_end; ++kh, row += row_step, wrow += KW * C) {
            Vec<W> wv[KW];
#pragma clang loop unroll(full)
            for (int kw = 0; kw < KW; ++kw) std::memcpy(&wv[kw], wrow + kw * C, sizeof wv[kw]);
            Vec<W> in[span];
#pragma clang loop unroll(full)
            for (int i = 0; i < span; ++i) {
                if (padding(i)) in[i] = 0;
                else if (EDGE != kEdgeRuntime || inside || (i >= valid_begin && i < valid_end))
                    std::memcpy(&in[i], row + i * C, sizeof in[i]);
                else in[i] = 0;
            }
#pragma clang loop unroll(full)
            for (int r = 0; r < R; ++r)
#pragma clang loop unroll(full)
                for (int kw = 0; kw < KW; ++kw)
                    if (!padding(r * S + kw)) acc[r] += in[r * S + kw] * wv[kw];
        }
#pragma clang loop unroll(full)
        for (int r = 0; r < R; ++r) {
            finish(acc[r]);
            std::memcpy(store_at + r * C + c0, &acc[r], sizeof acc[r]);
        }
    }
}

// run, with its edges fixed at compile time where they are one column of
// padding on either side.
template <int W, int R, int KW, int S, bool LEAKY>
inline __attribute__((always_inline)) void run_at(const Args &a, const float *image, float *out, int64_t oh,
                                                  int64_t ow, int64_t kh_begin, int64_t kh_end) {
    constexpr int span = (R - 1) * S + KW;
    const int64_t left = ow * S - a.pad_left;
    const int64_t valid_begin = left < 0 ? -left : 0;
    const int64_t valid_end = std::min<int64_t>(span, a.width - left);
    const int edge = (valid_begin == 1 ? kLeftColumn : valid_begin == 0 ? kInside : 4) |
                     (valid_end == span - 1 ? kRightColumn : valid_end == span ? kInside : 4);
    switch (edge) {
        case kInside: return run<W, R, KW, S, LEAKY, kInside>(a, image, out, oh, ow, kh_begin, kh_end);
        case kLeftColumn: return run<W, R, KW, S, LEAKY, kLeftColumn>(a, image, out, oh, ow, kh_begin, kh_end);
        case kRightColumn: return run<W, R, KW, S, LEAKY, kRightColumn>(a, image, out, oh, ow, kh_begin, kh_end);
        case kLeftColumn | kRightColumn:
            return run<W, R, KW, S, LEAKY, kLeftColumn | kRightColumn>(a, image, out, oh, ow, kh_begin, kh_end);
        default: return run<W, R, KW, S, LEAKY>(a, image, out, oh, ow, kh_begin, kh_end);
    }
}

// The last, shorter run of a row.
template <int W, int KW, int S, int R, bool LEAKY>
inline __attribute__((always_inline)) void short_run(const Args &a, const float *image, float *out, int64_t oh,
                                                     int64_t ow, int64_t count, int64_t kh_begin, int64_t kh_end) {
    if constexpr (R > 1) {
        if (count < R) {
            short_run<W, KW, S, R - 1, LEAKY>(a, image, out, oh, ow, count, kh_begin, kh_end);
            return;
        }
    }
    run_at<W, R, KW, S, LEAKY>(a, image, out, oh, ow, kh_begin, kh_end);
}

// One output row, runs of R pixels; the runs whose windows lie inside the
// image horizontally skip the edge tests.
template <int W, int KW, int S, bool LEAKY>
inline __attribute__((always_inline)) void row_fast(const Args &a, const float *image, float *out, int64_t oh,
                                                    int64_t kh_begin, int64_t kh_end) {
    // Registers: R accumulators, (R - 1) * S + KW inputs, KW weights.
    // With 16 vector registers (AVX2) runs of 8 and 6 spill: 6 and 4 measured
    // 3-8 % faster on a Zen 2 core (56x56x144 at stride 1, 112x112x96 at 2).
    constexpr int R = W == 8 ? (S == 1 ? 6 : 4) : (S == 1 ? 8 : 6);
    int64_t ow = 0;
    for (; ow + R <= a.out_width; ow += R) {
        const int64_t left = ow * S - a.pad_left;
        if (left >= 0 && left + (R - 1) * S + KW <= a.width) {
            if constexpr (KW == 3) {
                if (kh_begin == 0 && kh_end == 3) {
                    run<W, R, KW, S, LEAKY, kInside, 3>(a, image, out, oh, ow, kh_begin, kh_end);
                    continue;
                }
            }
            run<W, R, KW, S, LEAKY, kInside>(a, image, out, oh, ow, kh_begin, kh_end);
        } else {
            run_at<W, R, KW, S, LEAKY>(a, image, out, oh, ow, kh_begin, kh_end);
        }
    }
    if (ow < a.out_width)
        short_run<W, KW, S, R - 1, LEAKY>(a, image, out, oh, ow, a.out_width - ow, kh_begin, kh_end);
}

// A channel block's nine 3x3 weights, and its bias (zero without one).
template <int W>
inline __attribute__((always_inline)) void block_weights(const Args &a, int64_t c0, Vec<W> (&wv)[9], Vec<W> &bias) {
#pragma clang loop unroll(full)
    for (int k = 0; k < 9; ++k) std::memcpy(&wv[k], a.w + k * a.channels + c0, sizeof wv[k]);
    bias = 0;
    if (a.bias) std::memcpy(&bias, a.bias + c0, sizeof bias);
}

// Two output rows at once (3x3, stride S in both directions, every kernel
// row of both inside the image, the run inside horizontally): the S + 3 input
// rows they read (not 6) are loaded once for both, and the nine weights once
// per channel block. The two rows' 2R accumulators are independent chains,
// enough to hide the FMA latency that R alone would expose.
template <int W, int R, int S, bool LEAKY>
inline __attribute__((always_inline)) void pair_run(const Args &a, const float *image, float *out, int64_t oh,
                                                    int64_t ow) {
    constexpr int span = (R - 1) * S + 3;
    const int64_t C = a.channels;
    const int64_t top = oh * S - a.pad_top, left = ow * S - a.pad_left;
    const float *rows = image + (top * a.width + left) * C;
    const simd::FusedActivation<W, LEAKY> finish(a.activation);
    const int64_t blocks = vector_blocks<W>(C);
    for (int64_t block = 0; block < blocks; ++block) {
        const int64_t c0 = std::min<int64_t>(block * W, C - W);
        Vec<W> wv[9], bias;
        block_weights<W>(a, c0, wv, bias);
        Vec<W> acc[2][R];
#pragma clang loop unroll(full)
        for (int r = 0; r < R; ++r) acc[0][r] = acc[1][r] = bias;
#pragma clang loop unroll(full)
        for (int j = 0; j < S + 3; ++j) {
            const float *row = rows + j * a.width * C + c0;
            Vec<W> in[span];
#pragma clang loop unroll(full)
            for (int i = 0; i < span; ++i) std::memcpy(&in[i], row + i * C, sizeof in[i]);
#pragma clang loop unroll(full)
            for (int q = 0; q < 2; ++q) {
                const int kh = j - q * S;
                if (kh < 0 || kh > 2) continue;
#pragma clang loop unroll(full)
                for (int r = 0; r < R; ++r)
#pragma clang loop unroll(full)
                    for (int kw = 0; kw < 3; ++kw) acc[q][r] += in[r * S + kw] * wv[kh * 3 + kw];
            }
        }
#pragma clang loop unroll(full)
        for (int q = 0; q < 2; ++q)
#pragma clang loop unroll(full)
            for (int r = 0; r < R; ++r) {
                finish(acc[q][r]);
                std::memcpy(out + q * a.out_width * C + (ow + r) * C + c0, &acc[q][r], sizeof acc[q][r]);
            }
    }
}

// Output rows oh and oh + 1 (3x3, stride S, every kernel row inside the
// image), in runs of R; runs at the left and right edges go row by row.
// Registers: 2R accumulators, 9 weights and the inputs of one row, which the
// compiler streams: (R - 1) * S + 3 of them.
template <int W, int S, bool LEAKY>
inline __attribute__((always_inline)) void row_pair(const Args &a, const float *image, float *out, int64_t oh) {
    constexpr int R = S == 1 ? 6 : 4;  // measured: 4 beats 3, 5 and 6 at stride 2
    float *next = out + a.out_width * a.channels;
    int64_t ow = 0;
    for (; ow < a.out_width; ow += R) {
        const int64_t count = std::min<int64_t>(R, a.out_width - ow);
        const int64_t left = ow * S - a.pad_left;
        if (count == R && left >= 0 && left + (R - 1) * S + 3 <= a.width) {
            pair_run<W, R, S, LEAKY>(a, image, out, oh, ow);
        } else {
            short_run<W, 3, S, R, LEAKY>(a, image, out, oh, ow, count, 0, 3);
            short_run<W, 3, S, R, LEAKY>(a, image, next, oh + 1, ow, count, 0, 3);
        }
    }
}

// Images at most 8 pixels wide (3x3, stride 1, one column of padding on each
// side: the last layers of MobileNets, 7x7), channel blocks outermost: a
// block's nine weights are loaded once for all its rows instead of once per
// row, and a whole row is one run whose two edge columns are zeros known at
// compile time. Registers: OW accumulators, OW + 2 inputs, 9 weights (AVX-512).
template <int W, int OW, bool LEAKY>
inline __attribute__((always_inline)) void narrow_rows(const Args &a) {
    const int64_t C = a.channels;
    const simd::FusedActivation<W, LEAKY> finish(a.activation);
    const int64_t blocks = vector_blocks<W>(C);
    for (int64_t block = 0; block < blocks; ++block) {
        const int64_t c0 = std::min<int64_t>(block * W, C - W);
        Vec<W> wv[9], bias;
        block_weights<W>(a, c0, wv, bias);
        for (int64_t r = a.row_begin; r < a.row_end; ++r) {
            const int64_t n = r / a.out_height, oh = r % a.out_height;
            const float *image = a.x + n * a.height * OW * C + c0;
            float *out = a.y + (r - a.y_first_row) * OW * C + c0;
            const int64_t top = oh - a.pad_top;
            Vec<W> acc[OW];
#pragma clang loop unroll(full)
            for (int i = 0; i < OW; ++i) acc[i] = bias;
#pragma clang loop unroll(full)
            for (int kh = 0; kh < 3; ++kh) {
                const int64_t ih = top + kh;
                if (ih < 0 || ih >= a.height) continue;
                Vec<W> in[OW + 2];
                in[0] = in[OW + 1] = 0;
#pragma clang loop unroll(full)
                for (int i = 0; i < OW; ++i) std::memcpy(&in[i + 1], image + (ih * OW + i) * C, sizeof in[i + 1]);
#pragma clang loop unroll(full)
                for (int i = 0; i < OW; ++i)
#pragma clang loop unroll(full)
                    for (int kw = 0; kw < 3; ++kw) acc[i] += in[i + kw] * wv[kh * 3 + kw];
            }
#pragma clang loop unroll(full)
            for (int i = 0; i < OW; ++i) {
                finish(acc[i]);
                std::memcpy(out + i * C, &acc[i], sizeof acc[i]);
            }
        }
    }
}

// narrow_rows for the image's width, 1 to 8.
template <int W, bool LEAKY, int OW = 8>
inline __attribute__((always_inline)) void narrow_image(const Args &a) {
    if constexpr (OW > 1) {
        if (a.out_width < OW) {
            narrow_image<W, LEAKY, OW - 1>(a);
            return;
        }
    }
    narrow_rows<W, OW, LEAKY>(a);
}

// Output rows [a.row_begin, a.row_end) of the fast shapes (multiplier 1, no
// dilation, 3x3 or 5x5 kernel columns, stride 1 or 2 along the row).
template <int W, bool LEAKY>
inline __attribute__((always_inline)) void rows_fast(const Args &a) {
    if constexpr (W == 16) {
        if (a.kernel_h == 3 && a.kernel_w == 3 && a.stride_h == 1 && a.stride_w == 1 && a.pad_left == 1 &&
            a.width == a.out_width && a.out_width <= 8) {
            narrow_image<W, LEAKY>(a);
            return;
        }
    }
    // Row pairs need 29 vector registers: AVX-512 only.
    const bool pairs = W == 16 && a.kernel_h == 3 && a.kernel_w == 3 && a.stride_h == a.stride_w &&
                       (a.stride_w == 1 || a.stride_w == 2) && a.out_width >= 16;
    for (int64_t r = a.row_begin; r < a.row_end; ++r) {
        const int64_t n = r / a.out_height, oh = r % a.out_height;
        const float *image = a.x + n * a.height * a.width * a.channels;
        float *out = a.y + (r - a.y_first_row) * a.out_width * a.channels;
        // Kernel rows inside the image, for the whole row of outputs.
        const int64_t top = oh * a.stride_h - a.pad_top;
        if (pairs && r + 1 < a.row_end && oh + 1 < a.out_height && top >= 0 &&
            top + a.stride_h + 3 <= a.height) {
            if (a.stride_h == 1) row_pair<W, 1, LEAKY>(a, image, out, oh);
            else row_pair<W, 2, LEAKY>(a, image, out, oh);
            ++r;
            continue;
        }
        const int64_t kh_begin = std::min<int64_t>(a.kernel_h, std::max<int64_t>(0, -top));
        const int64_t kh_end = std::max<int64_t>(kh_begin, std::min<int64_t>(a.kernel_h, a.height - top));
        if (a.kernel_w == 3 && a.stride_w == 1) row_fast<W, 3, 1, LEAKY>(a, image, out, oh, kh_begin, kh_end);
        else if (a.kernel_w == 3) row_fast<W, 3, 2, LEAKY>(a, image, out, oh, kh_begin, kh_end);
        else if (a.stride_w == 1) row_fast<W, 5, 1, LEAKY>(a, image, out, oh, kh_begin, kh_end);
        else row_fast<W, 5, 2, LEAKY>(a, image, out, oh, kh_begin, kh_end);
    }
}

template <int W>
inline __attribute__((always_inline)) void depthwise(const Args &a) {
    const int64_t C = a.channels * a.multiplier;
    const bool fast_shape = a.multiplier == 1 && a.dilation_h == 1 && a.dilation_w == 1 &&
                            (a.kernel_w == 3 || a.kernel_w == 5) && (a.stride_w == 1 || a.stride_w == 2);
    if (fast_shape && a.channels >= W) {
        if (a.activation.kind == FOVEA_ACTIVATION_LEAKY_RELU) rows_fast<W, true>(a);
        else rows_fast<W, false>(a);
        return;
    }
    for (int64_t r = a.row_begin; r < a.row_end; ++r) {
        const int64_t n = r / a.out_height, oh = r % a.out_height;
        const float *image = a.x + n * a.height * a.width * a.channels;
        float *out = a.y + (r - a.y_first_row) * a.out_width * C;
        if (a.multiplier != 1) {
            // Channel multiplier: output channel o reads input channel o / multiplier.
            const int64_t top = oh * a.stride_h - a.pad_top;
            for (int64_t ow = 0; ow < a.out_width; ++ow) {
                const int64_t left = ow * a.stride_w - a.pad_left;
                float *o = out + ow * C;
                for (int64_t k = 0; k < C; ++k) o[k] = a.bias ? a.bias[k] : 0.0f;
                for (int64_t kh = 0; kh < a.kernel_h; ++kh) {
                    const int64_t ih = top + kh * a.dilation_h;
                    if (ih < 0 || ih >= a.height) continue;
                    for (int64_t kw = 0; kw < a.kernel_w; ++kw) {
                        const int64_t iw = left + kw * a.dilation_w;
                        if (iw < 0 || iw >= a.width) continue;
                        const float *xv = image + (ih * a.width + iw) * a.channels;
                        const float *wv = a.w + (kh * a.kernel_w + kw) * C;
                        for (int64_t k = 0; k < C; ++k) o[k] += xv[k / a.multiplier] * wv[k];
                    }
                }
                for (int64_t k0 = 0; k0 < C; k0 += W) {
                    Vec<W> v;
                    load<W>(v, o + k0, C - k0);
                    activate<W>(v, a.activation);
                    store<W>(o + k0, v, C - k0);
                }
            }
            continue;
        }
        if (!fast_shape) {
            for (int64_t ow = 0; ow < a.out_width; ++ow) pixel<W>(a, image, out, oh, ow);
            continue;
        }
        // Fewer channels than one vector: one masked vector per pixel.
        const int64_t top = oh * a.stride_h - a.pad_top;
        const int64_t kh_begin = std::min<int64_t>(a.kernel_h, std::max<int64_t>(0, -top));
        const int64_t kh_end = std::max<int64_t>(kh_begin, std::min<int64_t>(a.kernel_h, a.height - top));
        const int64_t valid = a.channels;
        for (int64_t ow = 0; ow < a.out_width; ++ow) {
            const int64_t left = ow * a.stride_w - a.pad_left;
            Vec<W> acc = 0;
            if (a.bias) load<W>(acc, a.bias, valid);
            for (int64_t kh = kh_begin; kh < kh_end; ++kh)
                for (int64_t kw = 0; kw < a.kernel_w; ++kw) {
                    const int64_t iw = left + kw;
                    if (iw < 0 || iw >= a.width) continue;
                    Vec<W> xv, wv;
                    load<W>(xv, image + ((top + kh) * a.width + iw) * a.channels, valid);
                    load<W>(wv, a.w + (kh * a.kernel_w + kw) * a.channels, valid);
                    acc += xv * wv;
                }
            activate<W>(acc, a.activation);
            store<W>(out + ow * a.channels, acc, valid);
        }
    }
}

using Kernel = void (*)(const Args &);
Kernel kernel_scalar();
#if defined(__x86_64__)
Kernel kernel_avx2();
Kernel kernel_avx512();
#endif

}  // namespace fovea::dwconv
