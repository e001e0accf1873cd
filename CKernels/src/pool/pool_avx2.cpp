// Pooling kernels compiled for avx2 (8 channels per vector).
#if defined(__x86_64__)
#include "common/target.h"
#include "pool/pool_kernels.h"

namespace fovea::pool {
namespace {
FOVEA_TARGET_AVX2 void max_avx2(const fovea_pool_desc &d, const float *x, float *y, int64_t b, int64_t e) { window_pool<8, true>(d, x, y, b, e); }
FOVEA_TARGET_AVX2 void avg_avx2(const fovea_pool_desc &d, const float *x, float *y, int64_t b, int64_t e) { window_pool<8, false>(d, x, y, b, e); }
FOVEA_TARGET_AVX2 void global_max_avx2(int64_t s, int64_t c, const float *x, float *y, int64_t b, int64_t e) { global_pool<8, true>(s, c, x, y, b, e); }
FOVEA_TARGET_AVX2 void global_avg_avx2(int64_t s, int64_t c, const float *x, float *y, int64_t b, int64_t e) { global_pool<8, false>(s, c, x, y, b, e); }
FOVEA_TARGET_AVX2 void avg_backward_avx2(const fovea_pool_desc &d, const float *dy, float *dx, int64_t b, int64_t e) { avg_backward<8>(d, dy, dx, b, e); }
FOVEA_TARGET_AVX2 void max_backward_avx2(const fovea_pool_desc &d, const float *x, const float *dy, float *dx, int64_t b, int64_t e) { max_backward<8>(d, x, dy, dx, b, e); }
FOVEA_TARGET_AVX2 void lp_avx2(const fovea_pool_desc &d, const float *x, float *y, int64_t b, int64_t e) { lp_pool<8>(d, x, y, b, e); }
}  // namespace

Kernels kernels_avx2() { return {max_avx2, avg_avx2, avg_backward_avx2, max_backward_avx2, lp_avx2, global_max_avx2, global_avg_avx2}; }

}  // namespace fovea::pool
#endif
