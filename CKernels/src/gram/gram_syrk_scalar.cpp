// Gram SYRK in portable code: 4 rows x 8 columns of generic 4-wide vectors.
#include "gram/gram_syrk_kernels.h"

namespace fovea::gram {
namespace {
void pack_scalar(const Block &b) { pack<4, 4, 2>(b); }
void multiply_scalar(const Block &b, int64_t begin, int64_t end) { multiply<4, 4, 2>(b, begin, end); }
}  // namespace

Implementation implementation_scalar(int64_t, bool) { return {pack_scalar, multiply_scalar, {4, 8}}; }

}  // namespace fovea::gram
