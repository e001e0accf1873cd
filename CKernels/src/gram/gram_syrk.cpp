#include <algorithm>

#include "gram/gram_syrk_kernels.h"
#include "threadpool/threadpool.h"

namespace fovea::gram {

void run(const Implementation &implementation, int64_t batch, int64_t spatial, int64_t channels, float scale,
         const float *x, float *g, float *workspace) {
    const Shape s = implementation.shape;
    const int64_t C = channels;
    const int64_t row_tiles = round_up(C, s.mr) / s.mr;
    // Packed blocks are read by every thread: on two threads the panels one
    // core packed crossed to the other, and packing ran no faster than one
    // thread (Zen 2, 512 and 256 channels), where reading in place scales.
    const bool packed = s.packs_alone && fovea_threads_get() <= 1;
    const bool prefetch = !packed && kBlock * C * int64_t(sizeof(float)) <= kPrefetchBytes;
    // Packed blocks: the row tiles first, the column panels after them.
    float *packed_a = workspace, *packed_b = workspace + (packed ? round_up(C, s.mr) : s.mr) * kBlock;
    for (int64_t n = 0; n < batch; ++n) {
        float *gn = g + n * C * C;
        if (spatial == 0) std::fill(gn, gn + C * C, 0.0f);  // no block runs: the sum is empty
        for (int64_t p0 = 0; p0 < spatial; p0 += kBlock) {
            Block block{x + (n * spatial + p0) * C, std::min(kBlock, spatial - p0), C, packed_a, packed_b, packed,
                        gn, p0 > 0,
                        prefetch && p0 + kBlock < spatial ? x + (n * spatial + p0 + kBlock) * C : nullptr};
            implementation.pack(block);
            // Every tile accumulates over the blocks in order, in one chunk, so
            // the sums do not depend on the thread count.
            parallel_for(row_tiles, 1, [&](int64_t begin, int64_t end) { implementation.multiply(block, begin, end); });
        }
        // Scale the upper triangle and mirror it.
        for (int64_t i = 0; i < C; ++i) {
            for (int64_t j = i; j < C; ++j) gn[i * C + j] *= scale;
            for (int64_t j = 0; j < i; ++j) gn[i * C + j] = gn[j * C + i];
        }
    }
}

}  // namespace fovea::gram
