// Broadcasting binary operations compiled for avx2 (8 floats per vector).
#if defined(__x86_64__)
#include "common/target.h"
#include "binary/binary_kernels.h"

namespace fovea::binary {
namespace {
FOVEA_TARGET_AVX2 void rows_avx2(const Args &a, int64_t begin, int64_t end) { rows<8>(a, begin, end); }
}  // namespace

Kernel kernel_avx2() { return rows_avx2; }

}  // namespace fovea::binary
#endif
