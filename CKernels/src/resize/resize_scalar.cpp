// Resize compiled for scalar (4 channels per vector).
#include "resize/resize_kernels.h"

namespace fovea::resize {
namespace {
void resize_scalar(const Args &a, int64_t begin, int64_t end) { resize<4>(a, begin, end); }
}  // namespace

Kernel kernel_scalar() { return resize_scalar; }

}  // namespace fovea::resize
