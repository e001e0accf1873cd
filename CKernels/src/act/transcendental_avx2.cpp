// Sigmoid, tanh and softmax compiled for avx2 (8 floats per vector).
#if defined(__x86_64__)
#include "common/target.h"
#include "act/transcendental.h"

namespace fovea::transcendental {
namespace {
FOVEA_TARGET_AVX2 void sigmoid_avx2(const float *x, float *y, int64_t b, int64_t e) { apply<8, true>(x, y, b, e); }
FOVEA_TARGET_AVX2 void tanh_avx2(const float *x, float *y, int64_t b, int64_t e) { apply<8, false>(x, y, b, e); }
FOVEA_TARGET_AVX2 void softmax_avx2(int64_t axis, int64_t inner, const float *x, float *y, int64_t b, int64_t e) {
    softmax<8>(axis, inner, x, y, b, e);
}
}  // namespace

Kernels kernels_avx2() { return {sigmoid_avx2, tanh_avx2, softmax_avx2}; }

}  // namespace fovea::transcendental
#endif
