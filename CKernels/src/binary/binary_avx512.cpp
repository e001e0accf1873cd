// Broadcasting binary operations compiled for avx512 (16 floats per vector).
#if defined(__x86_64__)
#include "common/target.h"
#include "binary/binary_kernels.h"

namespace fovea::binary {
namespace {
FOVEA_TARGET_AVX512 void rows_avx512(const Args &a, int64_t begin, int64_t end) { rows<16>(a, begin, end); }
}  // namespace

Kernel kernel_avx512() { return rows_avx512; }

}  // namespace fovea::binary
#endif
