// Gram SYRK compiled for AVX2 + FMA: 6 rows x 16 columns (12 accumulators).
#if defined(__x86_64__)
#include "common/target.h"
#include "gram/gram_syrk_kernels.h"

namespace fovea::gram {
namespace {
FOVEA_TARGET_AVX2 void gram_avx2(int64_t batch, int64_t spatial, int64_t channels, float scale, const float *x,
                                 float *g, float *workspace) {
    gram<8, 6, 2>(batch, spatial, channels, scale, x, g, workspace);
}
}  // namespace

Implementation implementation_avx2() { return {gram_avx2, {6, 16}}; }

}  // namespace fovea::gram
#endif
