// Pooling kernels compiled for scalar (4 channels per vector).
#include "pool/pool_kernels.h"

namespace fovea::pool {
namespace {
void max_scalar(const fovea_pool_desc &d, const float *x, float *y, int64_t b, int64_t e) { window_pool<4, true>(d, x, y, b, e); }
void avg_scalar(const fovea_pool_desc &d, const float *x, float *y, int64_t b, int64_t e) { window_pool<4, false>(d, x, y, b, e); }
void global_max_scalar(int64_t s, int64_t c, const float *x, float *y, int64_t b, int64_t e) { global_pool<4, true>(s, c, x, y, b, e); }
void global_avg_scalar(int64_t s, int64_t c, const float *x, float *y, int64_t b, int64_t e) { global_pool<4, false>(s, c, x, y, b, e); }
void avg_backward_scalar(const fovea_pool_desc &d, const float *dy, float *dx, int64_t b, int64_t e) { avg_backward<4>(d, dy, dx, b, e); }
void max_backward_scalar(const fovea_pool_desc &d, const float *x, const float *dy, float *dx, int64_t b, int64_t e) { max_backward<4>(d, x, dy, dx, b, e); }
void lp_scalar(const fovea_pool_desc &d, const float *x, float *y, int64_t b, int64_t e) { lp_pool<4>(d, x, y, b, e); }
}  // namespace

Kernels kernels_scalar() { return {max_scalar, avg_scalar, avg_backward_scalar, max_backward_scalar, lp_scalar, global_max_scalar, global_avg_scalar}; }

}  // namespace fovea::pool
