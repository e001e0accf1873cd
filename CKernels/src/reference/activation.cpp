// Reference activations. The per-element definition lives in
// fovea::reference::activate so that fused epilogues and these kernels agree.
#include <algorithm>
#include <cmath>
#include <cstdint>

#include "common/guard.h"
#include "reference/reference.h"

extern "C" fovea_status fovea_reference_activation_forward(const fovea_activation *activation,
                                                           int64_t count, const float *x,
                                                           float *y) {
    return fovea::guarded([&] {
        // Element i is read before it is written, so y == x is fine.
        for (int64_t i = 0; i < count; ++i) y[i] = fovea::reference::activate(*activation, x[i]);
        return FOVEA_STATUS_SUCCESS;
    });
}

extern "C" fovea_status fovea_reference_prelu_forward(int64_t rows, int64_t channels,
                                                      const float *x, const float *slope,
                                                      float *y) {
    return fovea::guarded([&] {
        for (int64_t r = 0; r < rows; ++r) {
            for (int64_t c = 0; c < channels; ++c) {
                const float v = x[r * channels + c];
                y[r * channels + c] = v < 0.0f ? slope[c] * v : v;
            }
        }
        return FOVEA_STATUS_SUCCESS;
    });
}

extern "C" fovea_status fovea_reference_softmax_forward(int64_t outer, int64_t axis,
                                                        int64_t inner, const float *x,
                                                        float *y) {
    return fovea::guarded([&] {
        if (axis <= 0) return FOVEA_STATUS_SUCCESS;  // nothing to write
        for (int64_t o = 0; o < outer; ++o) {
            for (int64_t i = 0; i < inner; ++i) {
                const float *xs = x + o * axis * inner + i;
                float *ys = y + o * axis * inner + i;
                // Subtracting the maximum keeps exp() from overflowing; the
                // result is mathematically unchanged.
                float max = xs[0];
                for (int64_t a = 1; a < axis; ++a) max = std::max(max, xs[a * inner]);
                double sum = 0.0;
                for (int64_t a = 0; a < axis; ++a)
                    sum += std::exp(double(xs[a * inner]) - double(max));
                for (int64_t a = 0; a < axis; ++a)
                    ys[a * inner] = float(std::exp(double(xs[a * inner]) - double(max)) / sum);
            }
        }
        return FOVEA_STATUS_SUCCESS;
    });
}
