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

#include "threadpool/threadpool.h"

namespace fovea::gram {

template <int W>
using Vec = float __attribute__((ext_vector_type(W)));

struct Shape {
    int mr, nr;  // microkernel rows and columns
};

constexpr int64_t kBlock = 256;  // pixels per packed block

inline int64_t round_up(int64_t v, int64_t m) { return (v + m - 1) / m * m; }

inline size_t workspace_floats(int64_t channels, Shape s) {
    return size_t(round_up(channels, s.mr) + round_up(channels, s.nr)) * size_t(kBlock);
}

// C[MR x NV*W] (+)= A[block][MR] * B[block][NV*W], rows and columns clipped.
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
            for (int l = 0; l < W && v * W + l < cols; ++l) out[l] = (accumulate ? out[l] : 0.0f) + acc[m][v][l];
        }
}

template <int W, int MR, int NV>
inline __attribute__((always_inline)) void gram(int64_t batch, int64_t spatial, int64_t channels, float scale,
                                                const float *x, float *g, float *workspace) {
    constexpr int NR = NV * W;
    const int64_t C = channels;
    const int64_t row_tiles = round_up(C, MR) / MR, col_panels = round_up(C, NR) / NR;
    float *packed_a = workspace;
    float *packed_b = workspace + round_up(C, MR) * kBlock;
    for (int64_t n = 0; n < batch; ++n) {
        const float *xn = x + n * spatial * C;
        float *gn = g + n * C * C;
        for (int64_t p0 = 0; p0 < spatial; p0 += kBlock) {
            const int64_t depth = std::min(kBlock, spatial - p0);
            // Pack the block; channels past C are zero.
            parallel_for(row_tiles + col_panels, 1, [&](int64_t begin, int64_t end) {
                for (int64_t t = begin; t < end; ++t) {
                    if (t < row_tiles) {
                        float *dst = packed_a + t * depth * MR;
                        for (int64_t k = 0; k < depth; ++k)
                            for (int m = 0; m < MR; ++m) {
                                const int64_t c = t * MR + m;
                                dst[k * MR + m] = c < C ? xn[(p0 + k) * C + c] : 0.0f;
                            }
                    } else {
                        const int64_t j = t - row_tiles;
                        float *dst = packed_b + j * depth * NR;
                        const int64_t width = std::min<int64_t>(NR, C - j * NR);
                        for (int64_t k = 0; k < depth; ++k) {
                            std::memcpy(dst + k * NR, xn + (p0 + k) * C + j * NR, width * sizeof(float));
                            std::fill(dst + k * NR + width, dst + (k + 1) * NR, 0.0f);
                        }
                    }
                }
            });
            // Tiles touching the upper triangle; every tile accumulates over the
            // blocks in order, in one chunk, so the sums do not depend on threads.
            parallel_for(row_tiles, 1, [&](int64_t begin, int64_t end) {
                for (int64_t t = begin; t < end; ++t) {
                    const int64_t i0 = t * MR;
                    for (int64_t j = i0 / NR; j < col_panels; ++j)
                        tile<W, MR, NV>(packed_a + t * depth * MR, packed_b + j * depth * NR, depth,
                                        gn + i0 * C + j * NR, C, std::min<int64_t>(MR, C - i0),
                                        std::min<int64_t>(NR, C - j * NR), p0 > 0);
                }
            });
        }
        // Scale the upper triangle and mirror it.
        for (int64_t i = 0; i < C; ++i) {
            for (int64_t j = i; j < C; ++j) gn[i * C + j] *= scale;
            for (int64_t j = 0; j < i; ++j) gn[i * C + j] = gn[j * C + i];
        }
    }
}

using Kernel = void (*)(int64_t, int64_t, int64_t, float, const float *, float *, float *);

struct Implementation {
    Kernel kernel;
    Shape shape;
};

Implementation implementation_scalar();
#if defined(__x86_64__)
Implementation implementation_avx2();
Implementation implementation_avx512();
#endif

}  // namespace fovea::gram
