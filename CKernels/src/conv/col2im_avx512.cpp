// Transposed-convolution gather compiled for avx512 (16 channels per vector).
#if defined(__x86_64__)
#include "common/target.h"
#include "conv/col2im_kernels.h"

namespace fovea::col2im {
namespace {
FOVEA_TARGET_AVX512 void gather_avx512(const Args &a, int64_t begin, int64_t end) { gather<16>(a, begin, end); }
}  // namespace

Kernel kernel_avx512() { return gather_avx512; }

}  // namespace fovea::col2im
#endif
