// Convolution weight gradient compiled for AVX512 (16 output channels per vector).
#if defined(__x86_64__)
#include "common/target.h"
#include "convgrad/filter_grad_kernels.h"

namespace fovea::convgrad {
namespace {
FOVEA_TARGET_AVX512 void filter_gradient_avx512(const FilterArgs &a) { filter_gradient<16>(a); }
}  // namespace

FilterKernel filter_kernel_avx512() { return filter_gradient_avx512; }

}  // namespace fovea::convgrad
#endif
