// Resize compiled for avx2 (8 channels per vector).
#if defined(__x86_64__)
#include "common/target.h"
#include "resize/resize_kernels.h"

namespace fovea::resize {
namespace {
FOVEA_TARGET_AVX2 void resize_avx2(const Args &a, int64_t begin, int64_t end) { resize<8>(a, begin, end); }
}  // namespace

Kernel kernel_avx2() { return resize_avx2; }

}  // namespace fovea::resize
#endif
