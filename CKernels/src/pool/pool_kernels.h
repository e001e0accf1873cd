// Max and average pooling over NHWC (and NWC, NDHWC) inputs, vectorised over
// channels, written once over a generic vector of W floats and instantiated
// per instruction set by pool_*.cpp. The window of each output pixel is
// clipped to the input once per axis, so the inner loops test nothing.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

#include "common/vec.h"
#include "fovea_kernels.h"

namespace fovea::pool {

using simd::DVec;
using simd::load;
using simd::store;
using simd::Vec;

// Taps of one axis inside the input: first tap, count, and (for averages) the
// count inside the padded extent.
struct AxisWindow {
    int64_t start, first, count, padded_count;
};

inline AxisWindow axis_window(const fovea_pool_desc &d, int axis, int64_t o) {
    const int64_t start = o * d.stride[axis] - d.pad_begin[axis];
    int64_t first = 0, count = 0, padded = 0;
    for (int64_t k = 0; k < d.kernel[axis]; ++k) {
        const int64_t i = start + k * d.dilation[axis];
        if (i >= -d.pad_begin[axis] && i < d.in_size[axis] + d.pad_end[axis]) ++padded;
        if (i < 0 || i >= d.in_size[axis]) continue;
        if (count == 0) first = k;
        ++count;
    }
    return {start, first, count, padded};
}

// What an average over the window divides by: its taps inside x, or inside
// the padded extent when the padding counts.
inline float average_divisor(const fovea_pool_desc &d, const AxisWindow &wd, const AxisWindow &wh,
                             const AxisWindow &ww) {
    return float(d.count_include_pad ? wd.padded_count * wh.padded_count * ww.padded_count
                                     : wd.count * wh.count * ww.count);
}

// Calls body(offset) for each tap of the window [wd] x [wh] x [ww] inside x,
// in depth, row, column order; offset is the tap's first float within its
// image.
template <class Body>
inline __attribute__((always_inline)) void for_each_tap(const fovea_pool_desc &d, const AxisWindow &wd,
                                                        const AxisWindow &wh, const AxisWindow &ww, Body &&body) {
    for (int64_t a = 0; a < wd.count; ++a) {
        const int64_t iz = wd.start + (wd.first + a) * d.dilation[0];
        for (int64_t b = 0; b < wh.count; ++b) {
            const int64_t iy = wh.start + (wh.first + b) * d.dilation[1];
            const int64_t row = (iz * d.in_size[1] + iy) * d.in_size[2];
            for (int64_t e = 0; e < ww.count; ++e)
                body((row + ww.start + (ww.first + e) * d.dilation[2]) * d.channels);
        }
    }
}

// Fewer channels than a vector (LeNet-5's six) waste most of every partial
// load; such rows are pooled in two passes instead: the window's rows reduced
// into one row, whole vectors at a time, then each output's columns read from
// that row. The reduced row lives on the stack, hence the bound.
constexpr int64_t kReducedRow = 4096;

template <int W>
inline bool reduces_rows(const fovea_pool_desc &d) {
    return d.channels < W && d.in_size[2] * d.channels <= kReducedRow;
}

// The window's rows [wd] x [wh] reduced element-wise into `reduced`.
template <int W, bool Max>
inline __attribute__((always_inline)) void reduce_rows(const fovea_pool_desc &d, const float *image,
                                                       const AxisWindow &wd, const AxisWindow &wh, float *reduced) {
    const int64_t length = d.in_size[2] * d.channels;
    for (int64_t i = 0; i < length; i += W) {
        const int64_t valid = length - i;
        Vec<W> acc = Max ? Vec<W>(-std::numeric_limits<float>::infinity()) : Vec<W>(0);
        for (int64_t a = 0; a < wd.count; ++a) {
            const int64_t iz = wd.start + (wd.first + a) * d.dilation[0];
            for (int64_t b = 0; b < wh.count; ++b) {
                const int64_t iy = wh.start + (wh.first + b) * d.dilation[1];
                Vec<W> v;
                load<W>(v, image + (iz * d.in_size[1] + iy) * length + i, valid, 0.0f);
                if (Max) simd::keep_max<W>(acc, v);
                else acc += v;
            }
        }
        store<W>(reduced + i, acc, valid);
    }
}

// Windows of at most this many taps (a 4x4x4 cube) get the interior fast path.
constexpr int64_t kInteriorTaps = 64;

// Output rows [begin, end) over batch * out_depth * out_height.
template <int W, bool Max>
inline __attribute__((always_inline)) void window_pool(const fovea_pool_desc &d, const float *x, float *y,
                                                       int64_t begin, int64_t end) {
    const int64_t C = d.channels;
    const int64_t rows_per_image = d.out_size[0] * d.out_size[1];
    for (int64_t r = begin; r < end; ++r) {
        const int64_t n = r / rows_per_image, od = (r % rows_per_image) / d.out_size[1], oh = r % d.out_size[1];
        const AxisWindow wd = axis_window(d, 0, od), wh = axis_window(d, 1, oh);
        const float *image = x + n * d.in_size[0] * d.in_size[1] * d.in_size[2] * C;
        float *out = y + r * d.out_size[2] * C;
        if (reduces_rows<W>(d)) {
            float reduced[kReducedRow];
            reduce_rows<W, Max>(d, image, wd, wh, reduced);
            for (int64_t ow = 0; ow < d.out_size[2]; ++ow) {
                const AxisWindow ww = axis_window(d, 2, ow);
                const int64_t taps = wd.count * wh.count * ww.count;
                const float divisor = average_divisor(d, wd, wh, ww);
                for (int64_t c = 0; c < C; ++c) {
                    float acc = Max ? -std::numeric_limits<float>::infinity() : 0.0f;
                    for (int64_t e = 0; e < ww.count; ++e) {
                        const float v = reduced[(ww.start + (ww.first + e) * d.dilation[2]) * C + c];
                        if (!Max) acc += v;
                        else if (v > acc || (v != v && acc == acc)) acc = v;
                    }
                    out[ow * C + c] = Max ? acc : taps > 0 ? acc / divisor : 0.0f;
                }
            }
            continue;
        }
        // Columns whose window lies inside the row take a fixed list of tap
        // offsets and whole-vector loads: a YOLO or VGG pool spends most of
        // its time there, and the clipping above cost more than the maxima.
        int64_t inner_begin = d.out_size[2], inner_end = d.out_size[2];
        int64_t offsets[kInteriorTaps];
        const int64_t row_taps = wd.count * wh.count * d.kernel[2];
        if (C % W == 0 && row_taps <= kInteriorTaps) {
            const int64_t reach = (d.kernel[2] - 1) * d.dilation[2];
            inner_begin = std::min(d.out_size[2], (d.pad_begin[2] + d.stride[2] - 1) / d.stride[2]);
            inner_end = inner_begin;
            while (inner_end < d.out_size[2] && inner_end * d.stride[2] - d.pad_begin[2] + reach < d.in_size[2]) ++inner_end;
            int64_t t = 0;
            const AxisWindow full{0, 0, d.kernel[2], d.kernel[2]};
            for_each_tap(d, wd, wh, full, [&](int64_t offset) { offsets[t++] = offset; });
        }
        if (inner_end > inner_begin) {
            const AxisWindow ww = axis_window(d, 2, inner_begin);
            const float divisor = average_divisor(d, wd, wh, ww);
            for (int64_t ow = inner_begin; ow < inner_end; ++ow) {
                const float *window = image + (ow * d.stride[2] - d.pad_begin[2]) * C;
                for (int64_t c0 = 0; c0 < C; c0 += W) {
                    Vec<W> acc = Max ? Vec<W>(-std::numeric_limits<float>::infinity()) : Vec<W>(0);
                    if (Max) {
                        // A plain maximum (one instruction) and a sum that turns
                        // NaN when any tap is NaN (or infinities of both signs
                        // meet); only then is the vector redone with the exact
                        // first-NaN-wins rule.
                        Vec<W> sum = 0;
                        for (int64_t t = 0; t < row_taps; ++t) {
                            Vec<W> v;
                            std::memcpy(&v, window + offsets[t] + c0, sizeof v);
                            acc = v > acc ? v : acc;
                            sum += v;
                        }
                        if (simd::any_nan<W>(sum)) {
                            acc = -std::numeric_limits<float>::infinity();
                            for (int64_t t = 0; t < row_taps; ++t) {
                                Vec<W> v;
                                std::memcpy(&v, window + offsets[t] + c0, sizeof v);
                                simd::keep_max<W>(acc, v);
                            }
                        }
                    } else {
                        for (int64_t t = 0; t < row_taps; ++t) {
                            Vec<W> v;
                            std::memcpy(&v, window + offsets[t] + c0, sizeof v);
                            acc += v;
                        }
                        acc = row_taps > 0 ? acc / divisor : Vec<W>(0);
                    }
                    std::memcpy(out + ow * C + c0, &acc, sizeof acc);
                }
            }
        }
        for (int64_t ow = 0; ow < d.out_size[2]; ++ow) {
            if (ow == inner_begin) ow = inner_end;
            if (ow >= d.out_size[2]) break;
            const AxisWindow ww = axis_window(d, 2, ow);
            const int64_t taps = wd.count * wh.count * ww.count;
            const float divisor = average_divisor(d, wd, wh, ww);
            for (int64_t c0 = 0; c0 < C; c0 += W) {
                const int64_t valid = C - c0;
                Vec<W> acc = Max ? Vec<W>(-std::numeric_limits<float>::infinity()) : Vec<W>(0);
                for_each_tap(d, wd, wh, ww, [&](int64_t offset) __attribute__((always_inline)) {
                    Vec<W> v;
                    load<W>(v, image + offset + c0, valid, 0.0f);
                    if (Max) simd::keep_max<W>(acc, v);
                    else acc += v;
                });
                if (!Max) acc = taps > 0 ? acc / divisor : Vec<W>(0);
                store<W>(out + ow * C + c0, acc, valid);
            }
        }
    }
}

// Lp pooling, output rows [begin, end) as window_pool: (sum of |x|^p over the
// window's taps in x)^(1/p), summed in double as the reference does (x² of a
// large float overflows float). p = 1 and p = 2 run as vector arithmetic; any
// other p takes a pow per element, which no vector unit here does.
template <int W>
inline __attribute__((always_inline)) void lp_pool(const fovea_pool_desc &d, const float *x, float *y, int64_t begin,
                                                   int64_t end) {
    const int64_t C = d.channels;
    const int64_t rows_per_image = d.out_size[0] * d.out_size[1];
    const double p = d.p;
    const int kind = d.p == 1.0f ? 1 : d.p == 2.0f ? 2 : 0;
    for (int64_t r = begin; r < end; ++r) {
        const int64_t n = r / rows_per_image, od = (r % rows_per_image) / d.out_size[1], oh = r % d.out_size[1];
        const AxisWindow wd = axis_window(d, 0, od), wh = axis_window(d, 1, oh);
        const float *image = x + n * d.in_size[0] * d.in_size[1] * d.in_size[2] * C;
        float *out = y + r * d.out_size[2] * C;
        for (int64_t ow = 0; ow < d.out_size[2]; ++ow) {
            const AxisWindow ww = axis_window(d, 2, ow);
            for (int64_t c0 = 0; c0 < C; c0 += W) {
                const int64_t valid = C - c0;
                DVec<W> acc = 0.0;
                for_each_tap(d, wd, wh, ww, [&](int64_t offset) __attribute__((always_inline)) {
                    Vec<W> v;
                    load<W>(v, image + offset + c0, valid, 0.0f);
                    DVec<W> wide = __builtin_convertvector(v, DVec<W>);
                    if (kind == 2) {
                        acc += wide * wide;
                    } else {
                        wide = wide < 0.0 ? -wide : wide;
                        if (kind == 0) {
                            for (int k = 0; k < W; ++k) wide[k] = std::pow(double(wide[k]), p);
                        }
                        acc += wide;
                    }
                });
                Vec<W> result;
                for (int k = 0; k < W; ++k) {
                    const double sum = acc[k];
                    result[k] = float(kind == 1 ? sum : kind == 2 ? std::sqrt(sum) : std::pow(sum, 1.0 / p));
                }
                store<W>(out + ow * C + c0, result, valid);
            }
        }
    }
}

// Images [begin, end): x [N, spatial, C] -> y [N, C]. Averages sum in double.
template <int W, bool Max>
inline __attribute__((always_inline)) void global_pool(int64_t spatial, int64_t channels, const float *x, float *y,
                                                       int64_t begin, int64_t end) {
    for (int64_t n = begin; n < end; ++n) {
        const float *image = x + n * spatial * channels;
        for (int64_t c0 = 0; c0 < channels; c0 += W) {
            const int64_t valid = channels - c0;
            Vec<W> result;
            if (Max) {
                Vec<W> acc = -std::numeric_limits<float>::infinity();
                for (int64_t p = 0; p < spatial; ++p) {
                    Vec<W> v;
                    load<W>(v, image + p * channels + c0, valid, 0.0f);
                    simd::keep_max<W>(acc, v);
                }
                result = acc;
            } else {
                DVec<W> acc = 0;
                for (int64_t p = 0; p < spatial; ++p) {
                    Vec<W> v;
                    load<W>(v, image + p * channels + c0, valid, 0.0f);
                    acc += __builtin_convertvector(v, DVec<W>);
                }
                result = __builtin_convertvector(acc / double(spatial), Vec<W>);
            }
            store<W>(y + n * channels + c0, result, valid);
        }
    }
}

// The gradient of average pooling for images [begin, end): each output
// gradient, divided as the forward pass divided, added to its window's
// inputs. An image's input gradient is written by its own chunk only, in a
// fixed order, so the result does not depend on the thread count.
template <int W>
inline __attribute__((always_inline)) void avg_backward(const fovea_pool_desc &d, const float *dy, float *dx,
                                                        int64_t begin, int64_t end) {
    const int64_t C = d.channels;
    const int64_t in_image = d.in_size[0] * d.in_size[1] * d.in_size[2] * C;
    const int64_t out_image = d.out_size[0] * d.out_size[1] * d.out_size[2] * C;
    const int64_t length = d.in_size[2] * C;
    for (int64_t n = begin; n < end; ++n) {
        float *image = dx + n * in_image;
        std::fill(image, image + in_image, 0.0f);
        for (int64_t od = 0; od < d.out_size[0]; ++od) {
            const AxisWindow wd = axis_window(d, 0, od);
            for (int64_t oh = 0; oh < d.out_size[1]; ++oh) {
                const AxisWindow wh = axis_window(d, 1, oh);
                if (reduces_rows<W>(d)) {
                    // The output row's shares spread over one input row, which
                    // then adds, whole vectors at a time, to every row of the window.
                    float spread[kReducedRow];
                    std::fill(spread, spread + length, 0.0f);
                    const float *g = dy + n * out_image + (od * d.out_size[1] + oh) * d.out_size[2] * C;
                    for (int64_t ow = 0; ow < d.out_size[2]; ++ow) {
                        const AxisWindow ww = axis_window(d, 2, ow);
                        if (wd.count * wh.count * ww.count == 0) continue;
                        const float divisor = average_divisor(d, wd, wh, ww);
                        for (int64_t e = 0; e < ww.count; ++e) {
                            float *target = spread + (ww.start + (ww.first + e) * d.dilation[2]) * C;
                            for (int64_t c = 0; c < C; ++c) target[c] += g[ow * C + c] / divisor;
                        }
                    }
                    for (int64_t a = 0; a < wd.count; ++a) {
                        const int64_t iz = wd.start + (wd.first + a) * d.dilation[0];
                        for (int64_t b = 0; b < wh.count; ++b) {
                            float *row = image + (iz * d.in_size[1] + wh.start + (wh.first + b) * d.dilation[1]) * length;
                            for (int64_t i = 0; i < length; i += W) {
                                Vec<W> sum, add;
                                load<W>(sum, row + i, length - i);
                                load<W>(add, spread + i, length - i);
                                sum += add;
                                store<W>(row + i, sum, length - i);
                            }
                        }
                    }
                    continue;
                }
                for (int64_t ow = 0; ow < d.out_size[2]; ++ow) {
                    const AxisWindow ww = axis_window(d, 2, ow);
                    if (wd.count * wh.count * ww.count == 0) continue;
                    const float divisor = average_divisor(d, wd, wh, ww);
                    const float *g = dy + n * out_image + ((od * d.out_size[1] + oh) * d.out_size[2] + ow) * C;
                    for (int64_t c0 = 0; c0 < C; c0 += W) {
                        const int64_t valid = C - c0;
                        Vec<W> share;
                        load<W>(share, g + c0, valid);
                        share = share / divisor;
                        for_each_tap(d, wd, wh, ww, [&](int64_t offset) __attribute__((always_inline)) {
                            Vec<W> sum;
                            load<W>(sum, image + offset + c0, valid);
                            sum += share;
                            store<W>(image + offset + c0, sum, valid);
                        });
                    }
                }
            }
        }
    }
}

// The gradient of max pooling for images [begin, end): each output gradient
// added to its window's first arg-max (the first NaN when there is one, as the
// forward pass keeps it). A first pass over the taps finds, a vector of
// channels at a time, each lane's winning tap (its ordinal, exact in float up
// to 2^24 taps, a bound the Swift side enforces); a second adds the gradient
// to every tap in the lanes it won.
template <int W>
inline __attribute__((always_inline)) void max_backward(const fovea_pool_desc &d, const float *x, const float *dy,
                                                        float *dx, int64_t begin, int64_t end) {
    const int64_t C = d.channels;
    const int64_t in_image = d.in_size[0] * d.in_size[1] * d.in_size[2] * C;
    const int64_t out_image = d.out_size[0] * d.out_size[1] * d.out_size[2] * C;
    for (int64_t n = begin; n < end; ++n) {
        const float *image = x + n * in_image;
        float *gradient = dx + n * in_image;
        std::fill(gradient, gradient + in_image, 0.0f);
        for (int64_t od = 0; od < d.out_size[0]; ++od) {
            const AxisWindow wd = axis_window(d, 0, od);
            for (int64_t oh = 0; oh < d.out_size[1]; ++oh) {
                const AxisWindow wh = axis_window(d, 1, oh);
                for (int64_t ow = 0; ow < d.out_size[2]; ++ow) {
                    const AxisWindow ww = axis_window(d, 2, ow);
                    if (wd.count * wh.count * ww.count == 0) continue;  // no tap in x: no arg-max
                    const float *g = dy + n * out_image + ((od * d.out_size[1] + oh) * d.out_size[2] + ow) * C;
                    for (int64_t c0 = 0; c0 < C; c0 += W) {
                        const int64_t valid = C - c0;
                        // From -inf, the first tap wins unless it is -inf itself, and then
                        // tap 0 is the winner already: the reference's first-tap start.
                        Vec<W> best = -std::numeric_limits<float>::infinity(), winner = 0.0f;
                        float ordinal = 0.0f;
                        for_each_tap(d, wd, wh, ww, [&](int64_t offset) __attribute__((always_inline)) {
                            Vec<W> v;
                            load<W>(v, image + offset + c0, valid, 0.0f);
                            const auto wins = v > best || (v != v && best == best);
                            best = wins ? v : best;
                            winner = wins ? Vec<W>(ordinal) : winner;
                            ordinal += 1.0f;
                        });
                        // Each tap takes the gradient in the lanes it won: one masked add per
                        // tap, as average pooling's backward adds its share.
                        Vec<W> share;
                        load<W>(share, g + c0, valid);
                        ordinal = 0.0f;
                        for_each_tap(d, wd, wh, ww, [&](int64_t offset) __attribute__((always_inline)) {
                            Vec<W> sum;
                            load<W>(sum, gradient + offset + c0, valid);
                            sum += winner == Vec<W>(ordinal) ? share : Vec<W>(0.0f);
                            store<W>(gradient + offset + c0, sum, valid);
                            ordinal += 1.0f;
                        });
                    }
                }
            }
        }
    }
}

struct Kernels {
    void (*max)(const fovea_pool_desc &, const float *, float *, int64_t, int64_t);
    void (*avg)(const fovea_pool_desc &, const float *, float *, int64_t, int64_t);
    void (*avg_backward)(const fovea_pool_desc &, const float *, float *, int64_t, int64_t);
    void (*max_backward)(const fovea_pool_desc &, const float *, const float *, float *, int64_t, int64_t);
    void (*lp)(const fovea_pool_desc &, const float *, float *, int64_t, int64_t);
    void (*global_max)(int64_t, int64_t, const float *, float *, int64_t, int64_t);
    void (*global_avg)(int64_t, int64_t, const float *, float *, int64_t, int64_t);
};

Kernels kernels_scalar();
#if defined(__x86_64__)
Kernels kernels_avx2();
Kernels kernels_avx512();
#endif

}  // namespace fovea::pool
