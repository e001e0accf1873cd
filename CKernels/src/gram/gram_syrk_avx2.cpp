// Gram SYRK compiled for AVX2 + FMA: 6 rows x 16 columns (12 accumulators).
#if defined(__x86_64__)
#include "common/target.h"
#include "gram/gram_syrk_kernels.h"

namespace fovea::gram {
namespace {
FOVEA_TARGET_AVX2 void pack_avx2(const Block &b, int64_t begin, int64_t end) { pack<8, 6, 2>(b, begin, end); }
FOVEA_TARGET_AVX2 void multiply_avx2(const Block &b, int64_t begin, int64_t end) { multiply<8, 6, 2>(b, begin, end); }
}  // namespace

Implementation implementation_avx2(int64_t) { return {pack_avx2, multiply_avx2, {6, 16}}; }

}  // namespace fovea::gram
#endif
