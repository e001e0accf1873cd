// Gram matrices G = scale * X^T X for X = [spatial, C] (NHWC activations), as
// a SYRK: only the tiles on or above the diagonal are multiplied, the rest is
// mirrored. Pixels are taken in blocks; each block of X is packed twice, as
// row panels [C/MR][block][MR] (A, broadcast) and column panels
// [C/NV*W][block][NV*W] (B), so that the microkernel reads both with one
// pointer each. Written over a generic vector of W floats and instantiated
// per instruction set by gram_syrk_*.cpp.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "common/vec.h"
#include "threadpool/threadpool.h"

namespace fovea::gram {

using simd::Vec;

struct Shape {
    int mr, nr;  // microkernel rows and columns
};

constexpr int64_t kBlock = 256;  // pixels per packed block

inline int64_t round_up(int64_t v, int64_t m) { return (v + m - 1) / m * m; }

inline size_t workspace_floats(int64_t channels, Shape s) {
    return size_t(round_up(channels, s.mr) + round_up(channels, s.nr)) * size_t(kBlock);
}

// One block of pixels of one image, as the per-ISA functions see it.
struct Block {
    const float *x;     // the block's first pixel, [depth][C]
    int64_t depth;      // pixels in the block
    int64_t channels;
    float *packed_a;    // [row tiles][depth][MR]
    float *packed_b;    // [column panels][depth][NR]
    float *g;           // the image's [C][C] result
    bool accumulate;    // add to g (not the first block)
};

// C[MR x NV*W] (+)= A[depth][MR] * B[depth][NV*W], rows and columns clipped.
template <int W, int MR, int NV>
inline __attribute__((always_inline)) void tile(const float *a, const float *b, int64_t depth, float *c, int64_t ldc,
                                                int64_t rows, int64_t cols, bool accumulate) {
    Vec<W> acc[MR][NV];
#pragma clang loop unroll(full)
    for (int m = 0; m < MR; ++m)
#pragma clang loop unroll(full)
        for (int v = 0; v < NV; ++v) acc[m][v] = 0;
    for (int64_t k = 0; k < depth; ++k) {
        Vec<W> bv[NV];
#pragma clang loop unroll(full)
        for (int v = 0; v < NV; ++v) std::memcpy(&bv[v], b + (k * NV + v) * W, sizeof bv[v]);
#pragma clang loop unroll(full)
        for (int m = 0; m < MR; ++m) {
            const Vec<W> av = a[k * MR + m];
#pragma clang loop unroll(full)
            for (int v = 0; v < NV; ++v) acc[m][v] += av * bv[v];
        }
    }
    for (int m = 0; m < MR && m < rows; ++m)
        for (int v = 0; v < NV; ++v) {
            float *out = c + m * ldc + v * W;
            if (v * W + W <= cols) {
                Vec<W> value = acc[m][v];
                if (accumulate) {
                    Vec<W> old;
                    std::memcpy(&old, out, sizeof old);
                    value += old;
                }
                std::memcpy(out, &value, sizeof value);
            } else {
                for (int l = 0; l < W && v * W + l < cols; ++l) out[l] = (accumulate ? out[l] : 0.0f) + acc[m][v][l];
            }
        }
}

// Packs row tiles and column panels [begin, end) (row tiles first) of a block.
template <int W, int MR, int NV>
inline __attribute__((always_inline)) void pack(const Block &b, int64_t begin, int64_t end) {
    constexpr int NR = NV * W;
    const int64_t C = b.channels, row_tiles = round_up(C, MR) / MR;
    for (int64_t t = begin; t < end; ++t) {
        if (t < row_tiles) {
            float *dst = b.packed_a + t * b.depth * MR;
            for (int64_t k = 0; k < b.depth; ++k)
                for (int m = 0; m < MR; ++m) {
                    const int64_t c = t * MR + m;
                    dst[k * MR + m] = c < C ? b.x[k * C + c] : 0.0f;
                }
        } else {
            const int64_t j = t - row_tiles;
            float *dst = b.packed_b + j * b.depth * NR;
            const int64_t width = std::min<int64_t>(NR, C - j * NR);
            for (int64_t k = 0; k < b.depth; ++k) {
                std::memcpy(dst + k * NR, b.x + k * C + j * NR, width * sizeof(float));
                std::fill(dst + k * NR + width, dst + (k + 1) * NR, 0.0f);
            }
        }
    }
}

// Multiplies row tiles [begin, end) against the column panels on or above
// the diagonal.
template <int W, int MR, int NV>
inline __attribute__((always_inline)) void multiply(const Block &b, int64_t begin, int64_t end) {
    constexpr int NR = NV * W;
    const int64_t C = b.channels, col_panels = round_up(C, NR) / NR;
    for (int64_t t = begin; t < end; ++t) {
        const int64_t i0 = t * MR;
        for (int64_t j = i0 / NR; j < col_panels; ++j)
            tile<W, MR, NV>(b.packed_a + t * b.depth * MR, b.packed_b + j * b.depth * NR, b.depth, b.g + i0 * C + j * NR,
                            C, std::min<int64_t>(MR, C - i0), std::min<int64_t>(NR, C - j * NR), b.accumulate);
    }
}

// The per-ISA halves of the computation; the driver (gram_syrk.cpp) splits
// the work across threads and calls them.
struct Implementation {
    void (*pack)(const Block &, int64_t, int64_t);
    void (*multiply)(const Block &, int64_t, int64_t);
    Shape shape;
};

Implementation implementation_scalar();
#if defined(__x86_64__)
Implementation implementation_avx2();
Implementation implementation_avx512();
#endif

// G = scale * X^T X for every image of the batch.
void run(const Implementation &implementation, int64_t batch, int64_t spatial, int64_t channels, float scale,
         const float *x, float *g, float *workspace);

}  // namespace fovea::gram
