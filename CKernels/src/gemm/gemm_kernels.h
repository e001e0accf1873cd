// The general SGEMM's driver (gemm_packed.cpp): one for every level, on that
// level's microkernel. The registry lists it at every level.
#pragma once

#include "fovea_kernels.h"

namespace fovea {

fovea_status gemm_packed(const fovea_gemm_desc *desc, const float *a, const float *b, const float *bias, float *c);

}  // namespace fovea
