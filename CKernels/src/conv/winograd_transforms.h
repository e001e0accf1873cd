// The Winograd transform matrices and the tile transforms, written once over
// a generic vector of W channels (clang's ext_vector_type) and instantiated
// per instruction set by winograd_kernels_*.cpp. The matrices come from the
// interpolation points 0, ±1, ±2, ±1/2 and infinity (Lavin and Gray, 2016);
// the identity A^T[(G g) .* (B^T d)] = correlate(d, g) was checked exactly in
// rational arithmetic when they were written down.
#pragma once

#include <cstdint>
#include <cstring>

#include "common/vec.h"
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
    int64_t row_pixels;    // pixels between the starts of consecutive rows (W, or more in a region of a wider image)
    int64_t padded_channels;  // Cp: V rows are this long (zeros past C)
    int64_t pad_top, pad_left;
    int64_t tiles_w;
    int64_t first_tile;    // index of the chunk's first tile in the image
    int64_t begin, end;    // tiles of the chunk to transform, relative to first_tile
    float *v;              // [chunk tiles][alpha^2][Cp]: each tile's transform is contiguous
    int64_t plane;         // floats between consecutive transform positions (Cp)
    int64_t tile_stride;   // floats between consecutive tiles (alpha^2 Cp)
};

struct OutputArgs {
    const float *m;        // [chunk tiles][alpha^2][Kp]
    int64_t plane;         // floats between consecutive transform positions (Kp)
    int64_t tile_stride;   // floats between consecutive tiles (alpha^2 Kp)
    int64_t padded_channels;  // Kp
    int64_t channels;         // K
    float *y;              // the output image, [OH, OW, K]
    int64_t out_height, out_width;
    int64_t row_pixels;    // pixels between the starts of consecutive output rows
    int64_t tiles_w;
    int64_t first_tile, begin, end;
    const float *bias;     // Kp values, or nullptr
    const float *residual; // laid out as y, added before the activation, or nullptr
    fovea_activation activation;
};

using simd::Vec;

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

// out[r] = sum_i matrix[r][i] * in[i] for one column or row of a tile.
template <int R, int C, int W>
inline __attribute__((always_inline)) void apply_1d(const double (&matrix)[R][C], const Vec<W> (&in)[C],
                                                    Vec<W> (&out)[R]) {
#pragma clang loop unroll(full)
    for (int r = 0; r < R; ++r) {
        Vec<W> sum = 0;
#pragma clang loop unroll(full)
        for (int i = 0; i < C; ++i) accumulate<W>(sum, matrix[r][i], in[i]);
        out[r] = sum;
    }
}

// B^T times one column or row of an input tile. F(4x4) and F(6x6) use
// factored forms that share the sums their rows have in common (rows 1-2,
// 3-4 and 5-6 of B^T are a + b and a - b): 12 operations instead of 22 for
// F(4x4), 26 instead of 44 for F(6x6). Same matrices, checked by the tests
// against the direct convolution; only the rounding order differs.
template <int M, int W>
inline __attribute__((always_inline)) void input_1d(const Vec<W> (&d)[M + 2], Vec<W> (&t)[M + 2]) {
    if constexpr (M == 4) {
        t[0] = 4.0f * d[0] + (d[4] - 5.0f * d[2]);
        t[5] = 4.0f * d[1] + (d[5] - 5.0f * d[3]);
        const Vec<W> a1 = d[4] - 4.0f * d[2], b1 = d[3] - 4.0f * d[1];
        t[1] = a1 + b1;
        t[2] = a1 - b1;
        const Vec<W> a2 = d[4] - d[2], b2 = d[3] - d[1];
        t[3] = a2 + 2.0f * b2;
        t[4] = a2 - 2.0f * b2;
    } else if constexpr (M == 6) {
        t[0] = (d[0] - d[6]) + 5.25f * (d[4] - d[2]);
        t[7] = (d[7] - d[1]) + 5.25f * (d[3] - d[5]);
        const Vec<W> a1 = (d[2] + d[6]) - 4.25f * d[4], b1 = (d[1] + d[5]) - 4.25f * d[3];
        t[1] = a1 + b1;
        t[2] = a1 - b1;
        const Vec<W> a2 = 0.25f * d[2] + (d[6] - 1.25f * d[4]);
        const Vec<W> b2 = 0.5f * d[1] + (2.0f * d[5] - 2.5f * d[3]);
        t[3] = a2 + b2;
        t[4] = a2 - b2;
        const Vec<W> a3 = 4.0f * d[2] + (d[6] - 5.0f * d[4]);
        const Vec<W> b3 = 2.0f * d[1] + (0.5f * d[5] - 2.5f * d[3]);
        t[5] = a3 + b3;
        t[6] = a3 - b3;
    } else {
        apply_1d<M + 2, M + 2, W>(Matrices<M>::BT, d, t);
    }
}

// A^T times one column or row of a tile of products, factored likewise:
// rows pair the sums and differences of m1/m2, m3/m4 (and m5/m6), 10
// operations instead of 18 for F(4x4), 20 instead of 38 for F(6x6).
template <int M, int W>
inline __attribute__((always_inline)) void output_1d(const Vec<W> (&m)[M + 2], Vec<W> (&o)[M]) {
    if constexpr (M == 4) {
        const Vec<W> s1 = m[1] + m[2], d1 = m[1] - m[2], s2 = m[3] + m[4], d2 = m[3] - m[4];
        o[0] = (m[0] + s1) + s2;
        o[1] = d1 + 2.0f * d2;
        o[2] = s1 + 4.0f * s2;
        o[3] = (d1 + m[5]) + 8.0f * d2;
    } else if constexpr (M == 6) {
        const Vec<W> s1 = m[1] + m[2], d1 = m[1] - m[2], s2 = m[3] + m[4], d2 = m[3] - m[4];
        const Vec<W> s3 = m[5] + m[6], d3 = m[5] - m[6];
        o[0] = ((m[0] + s1) + s2) + s3;
        o[1] = (d1 + 0.5f * d3) + 2.0f * d2;
        o[2] = (s1 + 0.25f * s3) + 4.0f * s2;
        o[3] = (d1 + 0.125f * d3) + 8.0f * d2;
        o[4] = (s1 + 0.0625f * s3) + 16.0f * s2;
        o[5] = ((d1 + m[7]) + 0.03125f * d3) + 32.0f * d2;
    } else {
        apply_1d<M, M + 2, W>(Matrices<M>::AT, m, o);
    }
}

// V = B^T d B for one tile and W channels, as two 1-D passes (columns, then
// rows) through a small buffer, which keeps the register pressure of each pass
// at two columns of the tile.
template <int M, int W, bool Interior, bool FullChannels>
inline __attribute__((always_inline)) void input_tile(const InputArgs &a, int64_t y0, int64_t x0, int64_t c0,
                                                      float *out) {
    using Mx = Matrices<M>;
    constexpr int A = Mx::alpha;
    const int64_t valid = a.channels - c0;
    Vec<W> rows[A][A];
#pragma clang loop unroll(full)
    for (int j = 0; j < A; ++j) {
        Vec<W> column[A], transformed[A];
        const int64_t xx = x0 + j;
#pragma clang loop unroll(full)
        for (int i = 0; i < A; ++i) {
            const int64_t yy = y0 + i;
            const float *p = a.x + (yy * a.row_pixels + xx) * a.channels + c0;
            if (Interior || (yy >= 0 && yy < a.height && xx >= 0 && xx < a.width)) {
                if (FullChannels) std::memcpy(&column[i], p, sizeof column[i]);
                else simd::load<W>(column[i], p, valid);
            } else {
                column[i] = 0;
            }
        }
        input_1d<M, W>(column, transformed);
#pragma clang loop unroll(full)
        for (int i = 0; i < A; ++i) rows[i][j] = transformed[i];
    }
#pragma clang loop unroll(full)
    for (int i = 0; i < A; ++i) {
        Vec<W> transformed[A];
        input_1d<M, W>(rows[i], transformed);
#pragma clang loop unroll(full)
        for (int j = 0; j < A; ++j) std::memcpy(out + (i * A + j) * a.plane, &transformed[j], sizeof transformed[j]);
    }
}

template <int M, int W>
inline __attribute__((always_inline)) void input_transform(const InputArgs &a) {
    constexpr int A = Matrices<M>::alpha;
    for (int64_t t = a.begin; t < a.end; ++t) {
        const int64_t tile = a.first_tile + t;
        const int64_t y0 = (tile / a.tiles_w) * M - a.pad_top;
        const int64_t x0 = (tile % a.tiles_w) * M - a.pad_left;
        const bool interior = y0 >= 0 && y0 + A <= a.height && x0 >= 0 && x0 + A <= a.width;
        float *out = a.v + t * a.tile_stride;
        if (t + 1 < a.end) {
            // Claim the next tile's lines while this one computes: writing them
            // cold would wait for each line's read-for-ownership in turn.
            const char *next = reinterpret_cast<const char *>(out + a.tile_stride);
            for (int64_t o = 0; o < a.tile_stride * int64_t(sizeof(float)); o += 64) __builtin_prefetch(next + o, 1, 3);
        }
        const int64_t full = a.channels / W * W;
        for (int64_t c0 = 0; c0 < full; c0 += W) {
            if (interior) input_tile<M, W, true, true>(a, y0, x0, c0, out + c0);
            else input_tile<M, W, false, true>(a, y0, x0, c0, out + c0);
        }
        for (int64_t c0 = full; c0 < a.padded_channels; c0 += W) input_tile<M, W, false, false>(a, y0, x0, c0, out + c0);
    }
}

// Y = A^T M A for one tile and W channels (two 1-D passes), plus bias, the
// residual and the cheap activations; only the pixels inside the output are
// stored. Each pixel's residual is read just before the pixel is written, so
// the residual may be y itself. (Residual a compile-time choice: a test on
// a.residual per pixel cost layers without one 2-6 %, F(6x6) on 56x56 and
// 224x224 maps the most.)
template <int M, int W, bool Interior, bool Residual>
inline __attribute__((always_inline)) void output_tile(const OutputArgs &a, const float *in, int64_t y0, int64_t x0,
                                                       int64_t k0) {
    using Mx = Matrices<M>;
    constexpr int A = Mx::alpha;
    Vec<W> rows[M][A];
#pragma clang loop unroll(full)
    for (int j = 0; j < A; ++j) {
        Vec<W> column[A], transformed[M];
#pragma clang loop unroll(full)
        for (int k = 0; k < A; ++k) std::memcpy(&column[k], in + (k * A + j) * a.plane, sizeof column[k]);
        output_1d<M, W>(column, transformed);
#pragma clang loop unroll(full)
        for (int i = 0; i < M; ++i) rows[i][j] = transformed[i];
    }
    Vec<W> bias = 0;
    if (a.bias) std::memcpy(&bias, a.bias + k0, sizeof bias);
    const int64_t valid = a.channels - k0;
#pragma clang loop unroll(full)
    for (int i = 0; i < M; ++i) {
        if (!Interior && y0 + i >= a.out_height) break;
        Vec<W> pixels[M];
        output_1d<M, W>(rows[i], pixels);
#pragma clang loop unroll(full)
        for (int j = 0; j < M; ++j) {
            if (!Interior && x0 + j >= a.out_width) break;
            Vec<W> value = pixels[j] + bias;
            const int64_t offset = ((y0 + i) * a.row_pixels + x0 + j) * a.channels + k0;
            if constexpr (Residual) {
                Vec<W> shortcut;
                if (Interior) std::memcpy(&shortcut, a.residual + offset, sizeof shortcut);
                else simd::load<W>(shortcut, a.residual + offset, valid);
                value = shortcut + value;
            }
            simd::activate<W>(value, a.activation);
            float *p = a.y + offset;
            if (Interior) std::memcpy(p, &value, sizeof value);
            else simd::store<W>(p, value, valid);
        }
    }
}

template <int M, int W, bool Residual>
inline __attribute__((always_inline)) void output_tiles(const OutputArgs &a) {
    for (int64_t t = a.begin; t < a.end; ++t) {
        const int64_t tile = a.first_tile + t;
        const int64_t y0 = (tile / a.tiles_w) * M, x0 = (tile % a.tiles_w) * M;
        const bool inside = y0 + M <= a.out_height && x0 + M <= a.out_width;
        const float *in = a.m + t * a.tile_stride;
        const int64_t full = a.channels / W * W;
        for (int64_t k0 = 0; k0 < a.channels; k0 += W) {
            if (inside && k0 < full) output_tile<M, W, true, Residual>(a, in + k0, y0, x0, k0);
            else output_tile<M, W, false, Residual>(a, in + k0, y0, x0, k0);
        }
    }
}

template <int M, int W>
inline __attribute__((always_inline)) void output_transform(const OutputArgs &a) {
    if (a.residual) output_tiles<M, W, true>(a);
    else output_tiles<M, W, false>(a);
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
