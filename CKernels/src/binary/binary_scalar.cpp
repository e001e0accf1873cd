// Broadcasting binary operations compiled for scalar (4 floats per vector).
#include "binary/binary_kernels.h"

namespace fovea::binary {
namespace {
void rows_scalar(const Args &a, int64_t begin, int64_t end) { rows<4>(a, begin, end); }
}  // namespace

Kernel kernel_scalar() { return rows_scalar; }

}  // namespace fovea::binary
