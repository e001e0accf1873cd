// Depthwise convolution compiled for AVX-512 (16 channels per vector).
#if defined(__x86_64__)
#include "common/target.h"
#include "dwconv/dwconv_kernels.h"

namespace fovea::dwconv {
namespace {
FOVEA_TARGET_AVX512 void depthwise_avx512(const Args &a) { depthwise<16>(a); }
}  // namespace

Kernel kernel_avx512() { return depthwise_avx512; }

}  // namespace fovea::dwconv
#endif
