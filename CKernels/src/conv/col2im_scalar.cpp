// Transposed-convolution gather compiled for scalar (4 channels per vector).
#include "conv/col2im_kernels.h"

namespace fovea::col2im {
namespace {
void gather_scalar(const Args &a, int64_t begin, int64_t end) { gather<4>(a, begin, end); }
}  // namespace

Kernel kernel_scalar() { return gather_scalar; }

}  // namespace fovea::col2im
