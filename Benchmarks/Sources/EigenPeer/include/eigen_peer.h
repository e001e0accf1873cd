// Eigen's matrix product, the yardstick of `fovea-bench gemm`.
#pragma once
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** c[m x n] = a[m x k] * b[k x n], all row-major and contiguous, on one thread
 *  (Eigen is built here without OpenMP). */
void fovea_bench_eigen_sgemm(int64_t m, int64_t n, int64_t k, const float *a, const float *b, float *c);

#ifdef __cplusplus
}
#endif
