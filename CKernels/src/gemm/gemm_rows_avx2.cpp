// Products of a few rows compiled for avx2 (8 floats per vector).
#if defined(__x86_64__)
#include "common/target.h"
#include "gemm/gemm_rows.h"

namespace fovea::gemm {
namespace {
FOVEA_TARGET_AVX2 void rows_avx2(const RowsArgs &r, int64_t j0, int64_t j1) { rows_times_b<8>(r, j0, j1); }
}  // namespace

RowsKernel rows_kernel_avx2() { return rows_avx2; }

}  // namespace fovea::gemm
#endif
