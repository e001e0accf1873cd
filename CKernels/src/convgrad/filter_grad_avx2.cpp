// Convolution weight gradient compiled for AVX2 (8 output channels per vector).
#if defined(__x86_64__)
#include "common/target.h"
#include "convgrad/filter_grad_kernels.h"

namespace fovea::convgrad {
namespace {
FOVEA_TARGET_AVX2 void filter_gradient_avx2(const FilterArgs &a) { filter_gradient<8>(a); }
}  // namespace

FilterKernel filter_kernel_avx2() { return filter_gradient_avx2; }

}  // namespace fovea::convgrad
#endif
