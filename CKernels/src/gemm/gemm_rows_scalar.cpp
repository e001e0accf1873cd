// Products of a few rows compiled for the baseline instruction set (4 floats
// per vector: SSE2 on x86-64, NEON on AArch64), and the choice of level.
#include "dispatch/dispatch.h"
#include "gemm/gemm_rows.h"

namespace fovea::gemm {
namespace {
void rows_scalar(const RowsArgs &r, int64_t j0, int64_t j1) { rows_times_b<4>(r, j0, j1); }
}  // namespace

RowsKernel rows_kernel_scalar() { return rows_scalar; }

RowsKernel rows_kernel(fovea_isa isa) {
#if defined(__x86_64__)
    if (isa_allows(isa, FOVEA_ISA_AVX512)) return rows_kernel_avx512();
    if (isa_allows(isa, FOVEA_ISA_AVX2)) return rows_kernel_avx2();
#else
    (void)isa;
#endif
    return rows_kernel_scalar();
}

}  // namespace fovea::gemm
