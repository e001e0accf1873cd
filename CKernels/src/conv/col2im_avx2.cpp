// Transposed-convolution gather compiled for avx2 (8 channels per vector).
#if defined(__x86_64__)
#include "common/target.h"
#include "conv/col2im_kernels.h"

namespace fovea::col2im {
namespace {
FOVEA_TARGET_AVX2 void gather_avx2(const Args &a, int64_t begin, int64_t end) { gather<8>(a, begin, end); }
}  // namespace

Kernel kernel_avx2() { return gather_avx2; }

}  // namespace fovea::col2im
#endif
