// Pooling kernels compiled for avx512 (16 channels per vector).
#if defined(__x86_64__)
#include "common/target.h"
#include "pool/pool_kernels.h"

namespace fovea::pool {
namespace {
FOVEA_TARGET_AVX512 void max_avx512(const fovea_pool_desc &d, const float *x, float *y, int64_t b, int64_t e) { window_pool<16, true>(d, x, y, b, e); }
FOVEA_TARGET_AVX512 void avg_avx512(const fovea_pool_desc &d, const float *x, float *y, int64_t b, int64_t e) { window_pool<16, false>(d, x, y, b, e); }
FOVEA_TARGET_AVX512 void global_max_avx512(int64_t s, int64_t c, const float *x, float *y, int64_t b, int64_t e) { global_pool<16, true>(s, c, x, y, b, e); }
FOVEA_TARGET_AVX512 void global_avg_avx512(int64_t s, int64_t c, const float *x, float *y, int64_t b, int64_t e) { global_pool<16, false>(s, c, x, y, b, e); }
FOVEA_TARGET_AVX512 void avg_backward_avx512(const fovea_pool_desc &d, const float *dy, float *dx, int64_t b, int64_t e) { avg_backward<16>(d, dy, dx, b, e); }
FOVEA_TARGET_AVX512 void max_backward_avx512(const fovea_pool_desc &d, const float *x, const float *dy, float *dx, int64_t b, int64_t e) { max_backward<16>(d, x, dy, dx, b, e); }
FOVEA_TARGET_AVX512 void lp_avx512(const fovea_pool_desc &d, const float *x, float *y, int64_t b, int64_t e) { lp_pool<16>(d, x, y, b, e); }
}  // namespace

Kernels kernels_avx512() { return {max_avx512, avg_avx512, avg_backward_avx512, max_backward_avx512, lp_avx512, global_max_avx512, global_avg_avx512}; }

}  // namespace fovea::pool
#endif
