// Depthwise convolution compiled for AVX2 (8 channels per vector).
#if defined(__x86_64__)
#include "common/target.h"
#include "dwconv/dwconv_kernels.h"

namespace fovea::dwconv {
namespace {
FOVEA_TARGET_AVX2 void depthwise_avx2(const Args &a) { depthwise<8>(a); }
}  // namespace

Kernel kernel_avx2() { return depthwise_avx2; }

}  // namespace fovea::dwconv
#endif
