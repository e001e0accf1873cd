#include <algorithm>

#include "gram/gram_syrk_kernels.h"
#include "threadpool/threadpool.h"

namespace fovea::gram {

namespace {

// Scales G's upper triangle and mirrors it below the diagonal, in square
// tiles whose transpose goes through registers or a small buffer, so that
// both halves are read and written along rows: read column by column, the
// lower half took a cache miss per element (C = 512: a fifth of the whole
// time on a Zen 2 core). Each band of rows [i0, i0 + band) writes only
// those rows right of i0 and those columns below it, so bands run in parallel.
void mirror(const Implementation &implementation, int64_t C, float scale, float *gn) {
    const int64_t band = implementation.mirror_band, bands = (C + band - 1) / band;
    parallel_for(bands, 1, [&](int64_t begin, int64_t end) {
        if (implementation.mirror) {
            implementation.mirror(C, scale, gn, begin, end);
            return;
        }
        for (int64_t i0 = begin * band; i0 < std::min(C, end * band); i0 += band)
            for (int64_t j0 = i0; j0 < C; j0 += band)
                mirror_tile(C, scale, gn, i0, j0, std::min(band, C - i0), std::min(band, C - j0));
    });
}

// Buffers and options of one run of blocks.
struct Blocks {
    float *packed_a, *packed_b;  // see Block
    bool packed;
    bool prefetch;               // fetch each next block ahead (see kPrefetchBytes)
};

// Sums the pixels [first, last) of an image's x into target, block after
// block; with `share_rows`, each block's row tiles are shared between the
// threads (every tile still accumulates over the blocks in order, in one
// chunk, so the sums do not depend on the thread count).
void sum_blocks(const Implementation &implementation, const float *x, int64_t C, int64_t first, int64_t last,
                const Blocks &b, float *target, bool share_rows) {
    const int64_t row_tiles = round_up(C, implementation.shape.mr) / implementation.shape.mr;
    // Blocks of even size: 784 pixels as 4 x 196, not 3 x 256 and a 16 that
    // costs a pass over G for 2 % of the products.
    const int64_t limit = block_pixels(C), blocks = (last - first + limit - 1) / limit;
    const int64_t pixels = blocks > 0 ? (last - first + blocks - 1) / blocks : limit;
    for (int64_t p0 = first; p0 < last; p0 += pixels) {
        Block block{x + p0 * C, std::min(pixels, last - p0), C, b.packed_a, b.packed_b, b.packed, target,
                    p0 > first, b.prefetch && p0 + pixels < last ? x + (p0 + pixels) * C : nullptr,
                    C >= kFetchedTileChannels};
        implementation.pack(block);
        if (share_rows)
            parallel_for(row_tiles, 1, [&](int64_t begin, int64_t end) { implementation.multiply(block, begin, end); });
        else
            implementation.multiply(block, 0, row_tiles);
    }
}

// The segments of one image, each on one thread, summed into gn in order.
void sum_segments(const Implementation &implementation, const Segments &seg, int64_t spatial, int64_t C,
                  const float *x, float *gn, float *workspace) {
    const Shape s = implementation.shape;
    const int64_t pixels = block_pixels(C), edges = (s.mr + s.nr) * pixels;
    float *partials = workspace + seg.count * edges;
    const bool prefetch = pixels * C * int64_t(sizeof(float)) <= kPrefetchBytes;
    parallel_for(seg.count, 1, [&](int64_t begin, int64_t end) {
        for (int64_t k = begin; k < end; ++k) {
            const Blocks buffers{workspace + k * edges, workspace + k * edges + s.mr * pixels, false, prefetch};
            const int64_t first = k * seg.blocks * pixels;
            sum_blocks(implementation, x, C, first, std::min(spatial, first + seg.blocks * pixels), buffers,
                       k == 0 ? gn : partials + (k - 1) * C * C, false);
        }
    });
    // The tiles wrote the upper triangle (and parts of the lower one, left
    // to the mirror): add the partial sums there, segment after segment.
    for (int64_t k = 1; k < seg.count; ++k) {
        const float *part = partials + (k - 1) * C * C;
        for (int64_t i = 0; i < C; ++i)
            for (int64_t j = i; j < C; ++j) gn[i * C + j] += part[i * C + j];
    }
}

}  // namespace

void run(const Implementation &implementation, int64_t batch, int64_t spatial, int64_t channels, float scale,
         const float *x, float *g, float *workspace) {
    const Shape s = implementation.shape;
    const int64_t C = channels;
    // The choosers pack for one thread only (syrk_forward asks for that):
    // packed blocks are read by every thread, and on two threads the panels
    // one core packed crossed to the other, and packing ran no faster than one
    // thread (Zen 2, 512 and 256 channels), where reading in place scales.
    const bool packed = s.packs;
    const int64_t pixels = block_pixels(C);
    const bool prefetch = !packed && pixels * C * int64_t(sizeof(float)) <= kPrefetchBytes;
    // A packed block fills the workspace from its start (see packed_width).
    const Blocks buffers{workspace, packed ? workspace : workspace + s.mr * pixels, packed, prefetch};
    const Segments seg = segments(spatial, C);
    for (int64_t n = 0; n < batch; ++n) {
        float *gn = g + n * C * C;
        if (spatial == 0) std::fill(gn, gn + C * C, 0.0f);  // no block runs: the sum is empty
        if (seg.count > 1)
            sum_segments(implementation, seg, spatial, C, x + n * spatial * C, gn, workspace);
        else
            sum_blocks(implementation, x + n * spatial * C, C, 0, spatial, buffers, gn, true);
        mirror(implementation, C, scale, gn);
    }
}

}  // namespace fovea::gram
