// Sigmoid, tanh and softmax compiled for avx512 (16 floats per vector).
#if defined(__x86_64__)
#include "common/target.h"
#include "act/transcendental.h"

namespace fovea::transcendental {
namespace {
FOVEA_TARGET_AVX512 void sigmoid_avx512(const float *x, float *y, int64_t b, int64_t e) { apply<16, true>(x, y, b, e); }
FOVEA_TARGET_AVX512 void tanh_avx512(const float *x, float *y, int64_t b, int64_t e) { apply<16, false>(x, y, b, e); }
FOVEA_TARGET_AVX512 void softmax_avx512(int64_t axis, int64_t inner, const float *x, float *y, int64_t b, int64_t e) {
    softmax<16>(axis, inner, x, y, b, e);
}
}  // namespace

Kernels kernels_avx512() { return {sigmoid_avx512, tanh_avx512, softmax_avx512}; }

}  // namespace fovea::transcendental
#endif
