// Gram SYRK compiled for AVX-512: 8 rows x 32 columns (16 accumulators).
#if defined(__x86_64__)
#include "common/target.h"
#include "gram/gram_syrk_kernels.h"

namespace fovea::gram {
namespace {
FOVEA_TARGET_AVX512 void gram_avx512(int64_t batch, int64_t spatial, int64_t channels, float scale, const float *x,
                                     float *g, float *workspace) {
    gram<16, 8, 2>(batch, spatial, channels, scale, x, g, workspace);
}
}  // namespace

Implementation implementation_avx512() { return {gram_avx512, {8, 32}}; }

}  // namespace fovea::gram
#endif
