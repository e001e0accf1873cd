// The definition of every fused activation. Fast kernels must agree with it.
#include <cmath>

#include "reference/reference.h"

namespace fovea::reference {

// Comparisons are written so that NaN falls through to `x`: a NaN input stays
// NaN instead of being clamped to a finite value.
float activate(const fovea_activation &activation, float x) {
    switch (activation.kind) {
        case FOVEA_ACTIVATION_NONE: return x;
        case FOVEA_ACTIVATION_RELU: return x < 0.0f ? 0.0f : x;
        case FOVEA_ACTIVATION_RELU6: return x < 0.0f ? 0.0f : (x > 6.0f ? 6.0f : x);
        case FOVEA_ACTIVATION_LEAKY_RELU: return x < 0.0f ? activation.alpha * x : x;
        case FOVEA_ACTIVATION_CLAMP:
            return x < activation.alpha ? activation.alpha : (x > activation.beta ? activation.beta : x);
        // Evaluated in double and rounded once: exp cannot overflow into a wrong
        // result for any float input, and the value is correctly rounded in practice.
        case FOVEA_ACTIVATION_SIGMOID:
            return static_cast<float>(1.0 / (1.0 + std::exp(-static_cast<double>(x))));
        case FOVEA_ACTIVATION_TANH: return static_cast<float>(std::tanh(static_cast<double>(x)));
    }
    return x;
}

}  // namespace fovea::reference
