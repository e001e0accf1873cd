// The activation implementations besides the reference ones; the registry
// lists them. Only the ones for this machine's architecture exist.
#pragma once

#include "fovea_kernels.h"

namespace fovea {

#if defined(__x86_64__)
void residual_rows_avx512(const fovea_activation *activation, int64_t rows, int64_t columns, int64_t stride,
                          float *c, const float *r, int64_t r_stride);
void residual_rows_avx2(const fovea_activation *activation, int64_t rows, int64_t columns, int64_t stride,
                        float *c, const float *r, int64_t r_stride);
fovea_status activation_forward_avx512(const fovea_activation *activation, int64_t count,
                                       const float *x, float *y);
fovea_status prelu_forward_avx512(int64_t rows, int64_t channels, const float *x,
                                  const float *slope, float *y);
fovea_status activation_forward_avx2(const fovea_activation *activation, int64_t count,
                                     const float *x, float *y);
fovea_status prelu_forward_avx2(int64_t rows, int64_t channels, const float *x,
                                const float *slope, float *y);
#endif

}  // namespace fovea
