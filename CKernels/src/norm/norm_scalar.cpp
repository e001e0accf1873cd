// Normalisation kernels compiled for scalar (4 channels per vector).
#include "norm/norm_kernels.h"

namespace fovea::norm {
namespace {
void affine_scalar(int64_t c, const float *x, const float *m, const float *a, const float *b, float *y, int64_t r0,
               int64_t r1) {
    affine<4>(c, x, m, a, b, y, r0, r1);
}
void moments_scalar(int64_t rows, int64_t c, const float *x, double *s, double *q, int64_t c0, int64_t c1) {
    moments<4>(rows, c, x, s, q, c0, c1);
}
void gradient_sums_scalar(int64_t rows, int64_t c, const float *x, const float *dy, const float *m, double *s,
                  double *q, int64_t c0, int64_t c1) {
    gradient_sums<4>(rows, c, x, dy, m, s, q, c0, c1);
}
void gradient_affine_scalar(int64_t c, const float *x, const float *dy, const float *m, const float *a, const float *k,
                    const float *b, float *dx, int64_t r0, int64_t r1) {
    gradient_affine<4>(c, x, dy, m, a, k, b, dx, r0, r1);
}
}  // namespace

Kernels kernels_scalar() { return {affine_scalar, moments_scalar, gradient_sums_scalar, gradient_affine_scalar, 4}; }

}  // namespace fovea::norm
