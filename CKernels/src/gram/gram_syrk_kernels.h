// Gram matrices G = scale * X^T X for X = [spatial, C] (NHWC activations), as
// a SYRK: only the tiles on or above the diagonal are multiplied, the rest is
// mirrored. Pixels are taken in blocks (block_pixels), read in place, or, on
// one thread and from as many channels as each instruction set's file says,
// packed into panels (packed_width): read in place, every depth step of a
// tile touches two new cache lines and uses a third of one, which a 512 KB
// L2 cannot feed, and the rows of many channels fall on few L1 sets.
// Packing changes where values are read, not the arithmetic: both ways give
// the same bits. Written over a generic vector of W floats and instantiated
// per instruction set by gram_syrk_*.cpp.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <numeric>

#include "common/vec.h"
#include "dispatch/dispatch.h"
#include "threadpool/threadpool.h"

namespace fovea::gram {

using simd::Vec;

struct Shape {
    int mr, nr;                // microkernel rows and columns
    bool packs = false;        // packs blocks whole (chosen for one thread only, see above)
};

// Pixels per block. Every row tile of a block rereads the block's column
// panels, which with few channels are most of the block: blocks of 256
// pixels of 64 channels (64 KB) overflowed a 48 KB L1 and came from L2 tile
// after tile. Fewer pixels per block cost another read and write of each
// tile of G per block, which many channels cannot afford. On an Intel Xeon
// (Emerald Rapids), one thread, `fovea-bench conv-layers --cycles`: 64
// channels over 224x224 pixels 5.7-5.8 -> 5.2-5.3 million cycles with blocks
// of 64, 32 and 96 channels 3-6 % fewer; timing the C call alone, 16 to 96
// channels 7-28 % fewer with blocks of 64 or 128, 128 channels the same, 256
// and 512 channels 3-10 % more with blocks of 64 or 128 than with 256, and
// the AVX2 kernel alike (64 channels 10.7 -> 9.0 million cycles, 512
// channels 8.4 -> 9.5 with 64). Where 512-bit FMAs are split (Zen 4, 32 KB
// of L1d) blocks of 64 pixels lost instead: one thread, best of four
// interleaved runs, gram_a 151-170 effective GFLOP/s against 164-175 with
// 128 pixels (and 160-175 with 256), 32 channels over 224x224 127-142
// against 142-150.
inline int64_t block_pixels(int64_t channels) {
    if (channels <= 64 && !cpu_splits_512bit_fma()) return 64;
    return channels < 128 ? 128 : 256;
}
// The first row tile of a block prefetches the next block when a block is at
// most this large. Few channels (VGG's first layers: 64) leave the hardware
// prefetcher idle over a long run of small blocks, and the next block then
// arrives from L3 at the latency of each miss; a block of many channels
// prefetched whole would evict the one in use from L2.
constexpr int64_t kPrefetchBytes = 256 * 1024;

inline int64_t round_up(int64_t v, int64_t m) { return (v + m - 1) / m * m; }

// A packed block is one copy of its pixels in panels of lcm(mr, nr) channels,
// [panels][depth][width], zero past the last channel: both a row tile and a
// column panel lie whole inside one of them, so both operands read from it.
constexpr int64_t packed_width(int mr, int nr) { return std::lcm(mr, nr); }

// Floats of one packed pixel.
inline int64_t packed_pixel_floats(int64_t channels, Shape s) {
    return round_up(channels, packed_width(s.mr, s.nr));
}

// Pixel segments of an image whose partial Gram matrices are summed at the
// end, in order. With few channels a block's row tiles are too few and too
// short to share between threads (64 channels: 11 tiles, about 25 us a block
// on a Zen 2 core, and two threads ran no faster than one), so threads take
// whole segments instead. Fixed by the shape alone: the sums do not depend on
// the thread count.
constexpr int64_t kMaxSegments = 4;
constexpr int64_t kSegmentedChannels = 128;  // at most this many channels

struct Segments {
    int64_t count;   // 1: no segments, the row tiles of each block are shared
    int64_t blocks;  // blocks of block_pixels pixels per segment
};

inline Segments segments(int64_t spatial, int64_t channels) {
    const int64_t block = block_pixels(channels), blocks = (spatial + block - 1) / block;
    if (channels > kSegmentedChannels || blocks < 2) return {1, blocks};
    const int64_t per = (blocks + kMaxSegments - 1) / kMaxSegments;
    return {(blocks + per - 1) / per, per};
}

// Enough for any way of running, whatever the thread count at run time: the
// packed blocks, or per segment the edge buffers, and the partial sums of
// every segment but the first (which sums into G itself).
inline size_t workspace_floats(int64_t spatial, int64_t channels, Shape s) {
    const Segments seg = segments(spatial, channels);
    const size_t block = size_t(block_pixels(channels));
    const size_t edges = size_t(s.mr + s.nr) * block;
    if (seg.count > 1) return size_t(seg.count) * edges + size_t(seg.count - 1) * size_t(channels * channels);
    if (s.packs) return size_t(packed_pixel_floats(channels, s)) * block;
    return edges;
}

// One block of pixels of one image, as the per-ISA functions see it.
struct Block {
    const float *x;     // the block's first pixel, [depth][C]
    int64_t depth;      // pixels in the block
    int64_t channels;
    float *packed_a;    // packed: unused; else the last row tile, when partial
    float *packed_b;    // packed: the block (see packed_width); else the last column panel, when partial
    bool packed;
    float *g;           // the image's [C][C] result
    bool accumulate;    // add to g (not the first block)
    const float *next;  // the next block's first pixel, to prefetch, or nullptr
    // Each tile fetches its lines of g before its depth loop. Without it, a
    // G too large for L1 beside the panels made every tile wait for its lines
    // from L2 or L3 after the loop, where nothing else was left to run. Zen 4,
    // one thread, eight interleaved rounds, medians: 512 channels over 28x28
    // pixels 162 -> 182 effective GFLOP/s (OpenBLAS's ssyrk 179-187 in
    // alternation with it), 256 over 56x56 171 -> 178, 128 over 112x112
    // 156 -> 160; 64 channels (a 16 KB G) lost 4 %, 96 did not change.
    bool fetch_tiles;
};

// Channels from which blocks fetch their tiles of g (Block::fetch_tiles).
constexpr int64_t kFetchedTileChannels = 128;

// C[MR x NV*W] (+)= A[depth][MR] * B[depth][NV*W], rows and columns clipped.
// A's rows are lda floats apart (element m of row k at a[k * lda + m]) and
// B's ldb apart, so both can be read straight from the pixels of X.
// With PREFETCH, the rows of the next block at the same columns (`ahead`,
// rows ahead_stride floats apart) are fetched into L1 on the way, one line
// per 16 floats. With fetch_c, C's lines are fetched before the depth loop
// (see Block::fetch_tiles).
template <int W, int MR, int NV, bool PREFETCH = false>
inline __attribute__((always_inline)) void tile(const float *a, int64_t lda, const float *b, int64_t ldb,
                                                int64_t depth, float *c, int64_t ldc, int64_t rows, int64_t cols,
                                                bool accumulate, bool fetch_c, const float *ahead = nullptr,
                                                int64_t ahead_stride = 0) {
    Vec<W> acc[MR][NV];
#pragma clang loop unroll(full)
    for (int m = 0; m < MR; ++m)
#pragma clang loop unroll(full)
        for (int v = 0; v < NV; ++v) acc[m][v] = 0;
    if (fetch_c)
        for (int m = 0; m < MR && m < rows; ++m)
#pragma clang loop unroll(full)
            for (int v = 0; v < (NV * W * 4 + 63) / 64; ++v) __builtin_prefetch(c + m * ldc + v * 16, 1, 3);
    for (int64_t k = 0; k < depth; ++k) {
        Vec<W> bv[NV];
#pragma clang loop unroll(full)
        for (int v = 0; v < NV; ++v) std::memcpy(&bv[v], b + k * ldb + v * W, sizeof bv[v]);
        if constexpr (PREFETCH) {
#pragma clang loop unroll(full)
            for (int v = 0; v < (NV * W * 4 + 63) / 64; ++v)
                __builtin_prefetch(ahead + k * ahead_stride + v * 16, 0, 3);
        }
#pragma clang loop unroll(full)
        for (int m = 0; m < MR; ++m) {
            const Vec<W> av = a[k * lda + m];
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

// Row tile i0 of a block, [depth][MR], zeros past the last channel.
template <int MR>
inline __attribute__((always_inline)) void pack_rows(const Block &b, int64_t i0, float *out) {
    const int64_t C = b.channels;
    if (i0 + MR <= C) {
        for (int64_t k = 0; k < b.depth; ++k) std::memcpy(out + k * MR, b.x + k * C + i0, MR * sizeof(float));
        return;
    }
    for (int64_t k = 0; k < b.depth; ++k)
        for (int m = 0; m < MR; ++m) out[k * MR + m] = i0 + m < C ? b.x[k * C + i0 + m] : 0.0f;
}

// Column panel j0 of a block, [depth][NR], zeros past the last channel.
template <int NR>
inline __attribute__((always_inline)) void pack_columns(const Block &b, int64_t j0, float *out) {
    const int64_t C = b.channels, width = std::min<int64_t>(NR, C - j0);
    for (int64_t k = 0; k < b.depth; ++k) {
        std::memcpy(out + k * NR, b.x + k * C + j0, width * sizeof(float));
        std::fill(out + k * NR + width, out + (k + 1) * NR, 0.0f);
    }
}

// The block's pixels into panels of P channels (see packed_width), pixel by
// pixel so that X is read in order.
template <int P>
inline __attribute__((always_inline)) void pack_panels(const Block &b) {
    const int64_t C = b.channels, whole = C / P;
    for (int64_t k = 0; k < b.depth; ++k) {
        const float *pixel = b.x + k * C;
        for (int64_t q = 0; q < whole; ++q)
            std::memcpy(b.packed_b + (q * b.depth + k) * P, pixel + q * P, P * sizeof(float));
        if (const int64_t rest = C - whole * P; rest > 0) {
            // In 64-byte pieces: memcpy and memset of a run-time length were
            // two library calls per pixel.
            const float *in = pixel + whole * P;
            float *out = b.packed_b + (whole * b.depth + k) * P;
            int64_t c = 0;
            for (; c + 16 <= rest; c += 16) std::memcpy(out + c, in + c, 16 * sizeof(float));
            for (; c < rest; ++c) out[c] = in[c];
            for (; c < P; ++c) out[c] = 0.0f;
        }
    }
}

// X's pixels serve as A and B directly (a row tile's channels are broadcast
// from each pixel, a column panel's are loaded from it). Only the last row
// tile and the last column panel, when C is not a multiple of their width,
// are copied into zero-padded buffers so that no read leaves the image.
// Packed blocks copy the whole block once (pack_panels).
template <int W, int MR, int NV>
inline __attribute__((always_inline)) void pack(const Block &b) {
    constexpr int NR = NV * W;
    const int64_t C = b.channels;
    if (b.packed) {
        pack_panels<packed_width(MR, NR)>(b);
        return;
    }
    if (C % MR != 0) pack_rows<MR>(b, C / MR * MR, b.packed_a);
    if (C % NR != 0) pack_columns<NR>(b, C / NR * NR, b.packed_b);
}

// tile<W, MR, NV - S> for the columns past the first S vectors of a panel:
// on the diagonal, those vectors lie wholly below it.
template <int W, int MR, int NV, int S = 0>
inline __attribute__((always_inline)) void tile_skipping(int64_t skip, const float *a, int64_t lda,
                                                         const float *panel, int64_t ldb, int64_t depth, float *c,
                                                         int64_t ldc, int64_t rows, int64_t cols, bool accumulate,
                                                         bool fetch_c) {
    if constexpr (S + 1 < NV) {
        if (skip > S) {
            tile_skipping<W, MR, NV, S + 1>(skip, a, lda, panel, ldb, depth, c, ldc, rows, cols, accumulate,
                                            fetch_c);
            return;
        }
    }
    tile<W, MR, NV - S>(a, lda, panel + S * W, ldb, depth, c + S * W, ldc, rows, cols - S * W, accumulate, fetch_c);
}

// Multiplies row tiles [begin, end) against the column panels on or above
// the diagonal. Panels are the outer loop: a panel's rows of the block stay
// in L1 across the row tiles, which are narrower and stream from L2.
template <int W, int MR, int NV>
inline __attribute__((always_inline)) void multiply(const Block &b, int64_t begin, int64_t end) {
    constexpr int NR = NV * W;
    constexpr int64_t P = packed_width(MR, NR);
    const int64_t C = b.channels, col_panels = round_up(C, NR) / NR;
    // Packed: channel c of pixel k at packed_b[(c / P * depth + k) * P + c % P].
    auto in_block = [&b](int64_t c) { return b.packed_b + c / P * P * b.depth + c % P; };
    for (int64_t j = begin * MR / NR; j < col_panels; ++j) {
        const bool packed_columns = b.packed || j * NR + NR > C;
        const float *panel = b.packed ? in_block(j * NR) : packed_columns ? b.packed_b : b.x + j * NR;
        const int64_t ldb = b.packed ? P : packed_columns ? NR : C;
        const int64_t cols = std::min<int64_t>(NR, C - j * NR);
        // Row tiles that reach the panel: those starting before its end.
        const int64_t last = std::min<int64_t>(end, (j * NR + NR + MR - 1) / MR);
        for (int64_t t = begin; t < last; ++t) {
            const int64_t i0 = t * MR;
            const bool packed_rows = i0 + MR > C;
            const float *a = b.packed ? in_block(i0) : packed_rows ? b.packed_a : b.x + i0;
            const int64_t lda = b.packed ? P : packed_rows ? MR : C;
            const int64_t rows = std::min<int64_t>(MR, C - i0);
            // Vectors of the panel that end before column i0 hold no entry on
            // or above the diagonal for any row of the tile.
            const int64_t skip = j * NR < i0 ? (i0 - j * NR) / W : 0;
            if (j * NR + skip * W >= C) continue;
            if (t == 0 && b.next) {
                tile<W, MR, NV, true>(a, lda, panel, ldb, b.depth, b.g + j * NR, C, rows, cols, b.accumulate,
                                      b.fetch_tiles, b.next + j * NR, C);
                continue;
            }
            tile_skipping<W, MR, NV>(skip, a, lda, panel, ldb, b.depth, b.g + i0 * C + j * NR, C, rows, cols,
                                     b.accumulate, b.fetch_tiles);
        }
    }
}

// Scales the part of G's rows [i0, i0 + rows) x columns [j0, j0 + cols) on or
// above the diagonal and mirrors it below: a square tile off the diagonal
// (j0 > i0) or on it (j0 == i0), at most 16 x 16. Through a small buffer, so
// that both halves are read and written along rows.
inline void mirror_tile(int64_t C, float scale, float *g, int64_t i0, int64_t j0, int64_t rows, int64_t cols) {
    float transposed[16][16];
    for (int64_t i = 0; i < rows; ++i) {
        float *row = g + (i0 + i) * C + j0;
        for (int64_t j = j0 == i0 ? i : 0; j < cols; ++j) transposed[j][i] = row[j] *= scale;
    }
    for (int64_t j = j0 == i0 ? 1 : 0; j < cols; ++j)  // on the diagonal: strictly below it
        std::copy(transposed[j], transposed[j] + (j0 == i0 ? j : rows), g + (j0 + j) * C + i0);
}

// The per-ISA halves of the computation; the driver (gram_syrk.cpp) splits
// the work across threads and calls them.
struct Implementation {
    void (*pack)(const Block &);
    void (*multiply)(const Block &, int64_t, int64_t);
    Shape shape;
    // Scales and mirrors G's bands of mirror_band rows [begin, end) (see
    // mirror_tile); nullptr: tile by tile through mirror_tile.
    void (*mirror)(int64_t C, float scale, float *g, int64_t begin, int64_t end) = nullptr;
    int64_t mirror_band = 8;
};

// The implementation for a Gram matrix of `channels` channels, computed by
// one thread (`alone`) or shared between several.
Implementation implementation_scalar(int64_t channels, bool alone);
#if defined(__x86_64__)
Implementation implementation_avx2(int64_t channels, bool alone);
Implementation implementation_avx512(int64_t channels, bool alone);
#endif

// G = scale * X^T X for every image of the batch.
void run(const Implementation &implementation, int64_t batch, int64_t spatial, int64_t channels, float scale,
         const float *x, float *g, float *workspace);

}  // namespace fovea::gram
