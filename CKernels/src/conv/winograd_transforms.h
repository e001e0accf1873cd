// The Winograd transform matrices and the tile transforms, written once over
// a generic vector of W channels (clang's ext_vector_type) and instantiated
// per instruction set by winograd_kernels_*.cpp. The matrices come from the
// interpolation points 0, ±1, ±2, ±1/2 and infinity (Lavin and Gray, 2016);
// the identity A^T[(G g) .* (B^T d)] = correlate(d, g) was checked exactly in
// rational arithmetic when they were written down.
#pragma once

#include <cstdint>
#include <cstring>

#include "fovea_kernels.h"

namespace fovea::conv::winograd {

template <int M> struct Matrices;

template <> struct Matrices<2> {
    static constexpr int alpha = 4;
    static constexpr double BT[4][4] = {{1, 0, -1, 0}, {0, 1, 1, 0}, {0, -1, 1, 0}, {0, -1, 0, 1}};
    static constexpr double G[4][3] = {{1, 0, 0}, {0.5, 0.5, 0.5}, {0.5, -0.5, 0.5}, {0, 0, 1}};
    static constexpr double AT[2][4] = {{1, 1, 1, 0}, {0, 1, -1, 1}};
};

template <> struct Matrices<4> {
    static constexpr int alpha = 6;
    static constexpr double BT[6][6] = {{4, 0, -5, 0, 1, 0},  {0, -4, -4, 1, 1, 0}, {0, 4, -4, -1, 1, 0},
                                        {0, -2, -1, 2, 1, 0}, {0, 2, -1, -2, 1, 0}, {0, 4, 0, -5, 0, 1}};
    static constexpr double G[6][3] = {{1.0 / 4, 0, 0},
                                       {-1.0 / 6, -1.0 / 6, -1.0 / 6},
                                       {-1.0 / 6, 1.0 / 6, -1.0 / 6},
                                       {1.0 / 24, 1.0 / 12, 1.0 / 6},
                                       {1.0 / 24, -1.0 / 12, 1.0 / 6},
                                       {0, 0, 1}};
    static constexpr double AT[4][6] = {
        {1, 1, 1, 1, 1, 0}, {0, 1, -1, 2, -2, 0}, {0, 1, 1, 4, 4, 0}, {0, 1, -1, 8, -8, 1}};
};

template <> struct Matrices<6> {
    static constexpr int alpha = 8;
    static constexpr double BT[8][8] = {{1, 0, -5.25, 0, 5.25, 0, -1, 0},
                                        {0, 1, 1, -4.25, -4.25, 1, 1, 0},
                                        {0, -1, 1, 4.25, -4.25, -1, 1, 0},
                                        {0, 0.5, 0.25, -2.5, -1.25, 2, 1, 0},
                                        {0, -0.5, 0.25, 2.5, -1.25, -2, 1, 0},
                                        {0, 2, 4, -2.5, -5, 0.5, 1, 0},
                                        {0, -2, 4, 2.5, -5, -0.5, 1, 0},
                                        {0, -1, 0, 5.25, 0, -5.25, 0, 1}};
    static constexpr double G[8][3] = {{1, 0, 0},
                                       {-2.0 / 9, -2.0 / 9, -2.0 / 9},
                                       {-2.0 / 9, 2.0 / 9, -2.0 / 9},
                                       {1.0 / 90, 1.0 / 45, 2.0 / 45},
                                       {1.0 / 90, -1.0 / 45, 2.0 / 45},
                                       {32.0 / 45, 16.0 / 45, 8.0 / 45},
                                       {32.0 / 45, -16.0 / 45, 8.0 / 45},
                                       {0, 0, 1}};
    static constexpr double AT[6][8] = {{1, 1, 1, 1, 1, 1, 1, 0},
                                        {0, 1, -1, 2, -2, 0.5, -0.5, 0},
                                        {0, 1, 1, 4, 4, 0.25, 0.25, 0},
                                        {0, 1, -1, 8, -8, 0.125, -0.125, 0},
                                        {0, 1, 1, 16, 16, 0.0625, 0.0625, 0},
                                        {0, 1, -1, 32, -32, 0.03125, -0.03125, 1}};
};

// One chunk of tiles of one image.
struct InputArgs {
    const float *x;        // the image, [H, W, C]
    int64_t height, width, channels;
    int64_t padded_channels;  // Cp: V rows are this long (zeros past C)
    int64_t pad_top, pad_left;
    int64_t tiles_w;
    int64_t first_tile;    // index of the chunk's first tile in the image
    int64_t begin, end;    // tiles of the chunk to transform, relative to first_tile
    float *v;              // [alpha^2][chunk tiles][Cp]
    int64_t plane;         // floats between consecutive alpha^2 planes of v
};

struct OutputArgs {
    const float *m;        // [alpha^2][chunk tiles][Kp]
    int64_t plane;
    int64_t padded_channels;  // Kp
    int64_t channels;         // K
    float *y;              // the output image, [OH, OW, K]
    int64_t out_height, out_width;
    int64_t tiles_w;
    int64_t first_tile, begin, end;
    const float *bias;     // Kp values, or nullptr
    fovea_activation activation;
};

template <int W>
using Vec = float __attribute__((ext_vector_type(W)));

// Vectors travel by reference: these helpers are compiled into functions of
// several instruction sets, and passing wide vectors by value would tie them
// to one calling convention.
template <int W>
inline __attribute__((always_inline)) void load_channels(Vec<W> &v, const float *p, int64_t valid) {
    v = 0;
    if (valid >= W) {
        std::memcpy(&v, p, sizeof v);
    } else {
        for (int64_t i = 0; i < valid; ++i) v[i] = p[i];
    }
}

template <int W>
inline __attribute__((always_inline)) void store_channels(float *p, const Vec<W> &v, int64_t valid) {
    if (valid >= W) {
        std::memcpy(p, &v, sizeof v);
    } else {
        for (int64_t i = 0; i < valid; ++i) p[i] = v[i];
    }
}

// Multiplies by a constant matrix entry, skipping the zeros and ones that the
// transform matrices are mostly made of (the loops are fully unrolled, so
// this folds away at compile time).
template <int W>
inline __attribute__((always_inline)) void accumulate(Vec<W> &sum, double coefficient, const Vec<W> &value) {
    if (coefficient == 0.0) return;
    if (coefficient == 1.0) sum += value;
    else if (coefficient == -1.0) sum -= value;
    else sum += float(coefficient) * value;
}

template <int M, int W>
inline __attribute__((always_inline)) void input_transform(const InputArgs &a) {
    using Mx = Matrices<M>;
    constexpr int A = Mx::alpha;
    for (int64_t t = a.begin; t < a.end; ++t) {
        const int64_t tile = a.first_tile + t;
        const int64_t y0 = (tile / a.tiles_w) * M - a.pad_top;
        const int64_t x0 = (tile % a.tiles_w) * M - a.pad_left;
        for (int64_t c0 = 0; c0 < a.padded_channels; c0 += W) {
            const int64_t valid = a.channels - c0;
            Vec<W> d[A][A];
#pragma clang loop unroll(full)
            for (int i = 0; i < A; ++i) {
                const int64_t yy = y0 + i;
#pragma clang loop unroll(full)
                for (int j = 0; j < A; ++j) {
                    const int64_t xx = x0 + j;
                    if (yy >= 0 && yy < a.height && xx >= 0 && xx < a.width && valid > 0)
                        load_channels<W>(d[i][j], a.x + (yy * a.width + xx) * a.channels + c0, valid);
                    else
                        d[i][j] = 0;
                }
            }
            Vec<W> rows[A][A];
#pragma clang loop unroll(full)
            for (int i = 0; i < A; ++i)
#pragma clang loop unroll(full)
                for (int j = 0; j < A; ++j) {
                    Vec<W> s = 0;
#pragma clang loop unroll(full)
                    for (int k = 0; k < A; ++k) accumulate<W>(s, Mx::BT[i][k], d[k][j]);
                    rows[i][j] = s;
                }
            float *out = a.v + t * a.padded_channels + c0;
#pragma clang loop unroll(full)
            for (int i = 0; i < A; ++i)
#pragma clang loop unroll(full)
                for (int j = 0; j < A; ++j) {
                    Vec<W> s = 0;
#pragma clang loop unroll(full)
                    for (int k = 0; k < A; ++k) accumulate<W>(s, Mx::BT[j][k], rows[i][k]);
                    std::memcpy(out + (i * A + j) * a.plane, &s, sizeof s);
                }
        }
    }
}

template <int W>
inline __attribute__((always_inline)) void activate(Vec<W> &v, const fovea_activation &act) {
    const Vec<W> zero = 0;
    switch (act.kind) {
        case FOVEA_ACTIVATION_RELU: v = __builtin_elementwise_max(v, zero); break;
        case FOVEA_ACTIVATION_RELU6:
            v = __builtin_elementwise_min(__builtin_elementwise_max(v, zero), Vec<W>(6));
            break;
        case FOVEA_ACTIVATION_LEAKY_RELU:
            v = __builtin_elementwise_max(v, zero) + act.alpha * __builtin_elementwise_min(v, zero);
            break;
        case FOVEA_ACTIVATION_CLAMP:
            v = __builtin_elementwise_min(__builtin_elementwise_max(v, Vec<W>(act.alpha)), Vec<W>(act.beta));
            break;
        default: break;  // sigmoid and tanh: applied after the store
    }
}

template <int M, int W>
inline __attribute__((always_inline)) void output_transform(const OutputArgs &a) {
    using Mx = Matrices<M>;
    constexpr int A = Mx::alpha;
    for (int64_t t = a.begin; t < a.end; ++t) {
        const int64_t tile = a.first_tile + t;
        const int64_t y0 = (tile / a.tiles_w) * M, x0 = (tile % a.tiles_w) * M;
        for (int64_t k0 = 0; k0 < a.channels; k0 += W) {
            const float *in = a.m + t * a.padded_channels + k0;
            Vec<W> rows[M][A];
#pragma clang loop unroll(full)
            for (int i = 0; i < M; ++i)
#pragma clang loop unroll(full)
                for (int j = 0; j < A; ++j) rows[i][j] = 0;
#pragma clang loop unroll(full)
            for (int k = 0; k < A; ++k)
#pragma clang loop unroll(full)
                for (int j = 0; j < A; ++j) {
                    Vec<W> value;
                    std::memcpy(&value, in + (k * A + j) * a.plane, sizeof value);
#pragma clang loop unroll(full)
                    for (int i = 0; i < M; ++i) accumulate<W>(rows[i][j], Mx::AT[i][k], value);
                }
            Vec<W> bias = 0;
            if (a.bias) std::memcpy(&bias, a.bias + k0, sizeof bias);
            const int64_t valid = a.channels - k0;
#pragma clang loop unroll(full)
            for (int i = 0; i < M; ++i) {
                if (y0 + i >= a.out_height) break;
#pragma clang loop unroll(full)
                for (int j = 0; j < M; ++j) {
                    if (x0 + j >= a.out_width) break;
                    Vec<W> s = bias;
#pragma clang loop unroll(full)
                    for (int k = 0; k < A; ++k) accumulate<W>(s, Mx::AT[j][k], rows[i][k]);
                    activate<W>(s, a.activation);
                    store_channels<W>(a.y + ((y0 + i) * a.out_width + x0 + j) * a.channels + k0, s, valid);
                }
            }
        }
    }
}

// The transforms of one instruction set.
struct Kernels {
    void (*input)(const InputArgs &);
    void (*output)(const OutputArgs &);
    int width;  // channels per vector
};

Kernels kernels_scalar(int m);
#if defined(__x86_64__)
Kernels kernels_avx2(int m);
Kernels kernels_avx512(int m);
#endif

}  // namespace fovea::conv::winograd
