// Resize compiled for avx512 (16 channels per vector).
#if defined(__x86_64__)
#include "common/target.h"
#include "resize/resize_kernels.h"

namespace fovea::resize {
namespace {
FOVEA_TARGET_AVX512 void resize_avx512(const Args &a, int64_t begin, int64_t end) { resize<16>(a, begin, end); }
}  // namespace

Kernel kernel_avx512() { return resize_avx512; }

}  // namespace fovea::resize
#endif
