// Gram SYRK compiled for AVX2 + FMA: 6 rows x 16 columns (12 accumulators).
// On one thread, blocks of 256 channels or more are packed (a Zen 2 core,
// 512 KB of L2: 512 channels 99-102 -> 136-140 effective GFLOP/s, 256 channels
// 140-142 -> 153-156); fewer channels are read in place, where packing costs
// more than it saves (128 channels: 131 in place, 115 packed; 64: 87 and 66).
#if defined(__x86_64__)
#include "common/target.h"
#include "gram/gram_syrk_kernels.h"

namespace fovea::gram {
namespace {
FOVEA_TARGET_AVX2 void pack_avx2(const Block &b) { pack<8, 6, 2>(b); }
FOVEA_TARGET_AVX2 void multiply_avx2(const Block &b, int64_t begin, int64_t end) { multiply<8, 6, 2>(b, begin, end); }
}  // namespace

Implementation implementation_avx2(int64_t channels, bool alone) {
    return {pack_avx2, multiply_avx2, {6, 16, alone && channels >= 256}};
}

}  // namespace fovea::gram
#endif
