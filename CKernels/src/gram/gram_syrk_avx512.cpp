// Gram SYRK compiled for AVX-512: 8 rows x 32 columns (16 accumulators), or
// 12 x 32 (24) from 128 channels on. The taller tile reads each loaded panel
// row for more FMAs, but its row tiles overrun the diagonal further and, with
// few channels, pad more: 8 rows are faster at 64 and 77 channels, 12 rows
// 5-18 % faster from 128 to 512 (measured, panels outermost).
#if defined(__x86_64__)
#include "common/target.h"
#include "gram/gram_syrk_kernels.h"

namespace fovea::gram {
namespace {
FOVEA_TARGET_AVX512 void pack_8x32(const Block &b) { pack<16, 8, 2>(b); }
FOVEA_TARGET_AVX512 void multiply_8x32(const Block &b, int64_t begin, int64_t end) { multiply<16, 8, 2>(b, begin, end); }
FOVEA_TARGET_AVX512 void pack_12x32(const Block &b) { pack<16, 12, 2>(b); }
FOVEA_TARGET_AVX512 void multiply_12x32(const Block &b, int64_t begin, int64_t end) {
    multiply<16, 12, 2>(b, begin, end);
}
}  // namespace

Implementation implementation_avx512(int64_t channels) {
    if (channels >= 128) return {pack_12x32, multiply_12x32, {12, 32}};
    return {pack_8x32, multiply_8x32, {8, 32}};
}

}  // namespace fovea::gram
#endif
