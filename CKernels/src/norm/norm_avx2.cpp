// Normalisation kernels compiled for avx2 (8 channels per vector).
#if defined(__x86_64__)
#include "common/target.h"
#include "norm/norm_kernels.h"

namespace fovea::norm {
namespace {
FOVEA_TARGET_AVX2 void affine_avx2(int64_t c, const float *x, const float *m, const float *a, const float *b, float *y, int64_t r0,
               int64_t r1) {
    affine<8>(c, x, m, a, b, y, r0, r1);
}
FOVEA_TARGET_AVX2 void moments_avx2(int64_t rows, int64_t c, const float *x, double *s, double *q, int64_t c0, int64_t c1) {
    moments<8>(rows, c, x, s, q, c0, c1);
}
FOVEA_TARGET_AVX2 void gradient_sums_avx2(int64_t rows, int64_t c, const float *x, const float *dy, const float *m, double *s,
                  double *q, int64_t c0, int64_t c1) {
    gradient_sums<8>(rows, c, x, dy, m, s, q, c0, c1);
}
FOVEA_TARGET_AVX2 void gradient_affine_avx2(int64_t c, const float *x, const float *dy, const float *m, const float *a, const float *k,
                    const float *b, float *dx, int64_t r0, int64_t r1) {
    gradient_affine<8>(c, x, dy, m, a, k, b, dx, r0, r1);
}
}  // namespace

Kernels kernels_avx2() { return {affine_avx2, moments_avx2, gradient_sums_avx2, gradient_affine_avx2, 8}; }

}  // namespace fovea::norm
#endif
