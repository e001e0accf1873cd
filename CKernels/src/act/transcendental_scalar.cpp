// Sigmoid, tanh and softmax compiled for scalar (4 floats per vector).
#include "act/transcendental.h"

namespace fovea::transcendental {
namespace {
void sigmoid_scalar(const float *x, float *y, int64_t b, int64_t e) { apply<4, true>(x, y, b, e); }
void tanh_scalar(const float *x, float *y, int64_t b, int64_t e) { apply<4, false>(x, y, b, e); }
void softmax_scalar(int64_t axis, int64_t inner, const float *x, float *y, int64_t b, int64_t e) {
    softmax<4>(axis, inner, x, y, b, e);
}
}  // namespace

Kernels kernels_scalar() { return {sigmoid_scalar, tanh_scalar, softmax_scalar}; }

}  // namespace fovea::transcendental
