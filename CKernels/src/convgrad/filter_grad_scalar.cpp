// Convolution weight gradient in portable code (4-channel generic vectors,
// mapped to the target's baseline SIMD or to scalar code).
#include "convgrad/filter_grad_kernels.h"

namespace fovea::convgrad {
namespace {
void filter_gradient_scalar(const FilterArgs &a) { filter_gradient<4>(a); }
}  // namespace

FilterKernel filter_kernel_scalar() { return filter_gradient_scalar; }

}  // namespace fovea::convgrad
