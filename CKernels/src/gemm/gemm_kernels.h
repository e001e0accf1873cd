// The GEMM implementations besides the reference one; the registry lists them.
// Only the ones for this machine's architecture exist.
#pragma once

#include "fovea_kernels.h"

namespace fovea {

#if defined(__x86_64__)
fovea_status gemm_avx512(const fovea_gemm_desc *desc, const float *a, const float *b,
                         const float *bias, float *c);
fovea_status gemm_avx2(const fovea_gemm_desc *desc, const float *a, const float *b,
                       const float *bias, float *c);
#elif defined(__aarch64__)
fovea_status gemm_neon(const fovea_gemm_desc *desc, const float *a, const float *b,
                       const float *bias, float *c);
#endif

}  // namespace fovea
