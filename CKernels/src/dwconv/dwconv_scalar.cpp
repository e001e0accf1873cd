// Depthwise convolution in portable code (4-channel generic vectors, mapped to
// the target's baseline SIMD or to scalar code).
#include "dwconv/dwconv_kernels.h"

namespace fovea::dwconv {
namespace {
void depthwise_scalar(const Args &a) { depthwise<4>(a); }
}  // namespace

Kernel kernel_scalar() { return depthwise_scalar; }

}  // namespace fovea::dwconv
