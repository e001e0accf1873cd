// Gram SYRK compiled for AVX-512: 8 rows x 32 columns (16 accumulators).
#if defined(__x86_64__)
#include "common/target.h"
#include "gram/gram_syrk_kernels.h"

namespace fovea::gram {
namespace {
FOVEA_TARGET_AVX512 void pack_avx512(const Block &b, int64_t begin, int64_t end) { pack<16, 8, 2>(b, begin, end); }
FOVEA_TARGET_AVX512 void multiply_avx512(const Block &b, int64_t begin, int64_t end) { multiply<16, 8, 2>(b, begin, end); }
}  // namespace

Implementation implementation_avx512() { return {pack_avx512, multiply_avx512, {8, 32}}; }

}  // namespace fovea::gram
#endif
