// Gram SYRK in portable code: 4 rows x 8 columns of generic 4-wide vectors.
#include "gram/gram_syrk_kernels.h"

namespace fovea::gram {
namespace {
void gram_scalar(int64_t batch, int64_t spatial, int64_t channels, float scale, const float *x, float *g,
                 float *workspace) {
    gram<4, 4, 2>(batch, spatial, channels, scale, x, g, workspace);
}
}  // namespace

Implementation implementation_scalar() { return {gram_scalar, {4, 8}}; }

}  // namespace fovea::gram
