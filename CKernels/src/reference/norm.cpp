// Reference normalisation kernels, channels-last. Statistics are accumulated
// in double with two passes (mean first, then squared deviations), so the
// variance never suffers from the E[x^2] - E[x]^2 cancellation.
#include <cmath>
#include <cstdint>
#include <vector>

#include "common/guard.h"
#include "reference/reference.h"

extern "C" fovea_status fovea_reference_batchnorm_forward_inference(
    int64_t rows, int64_t channels, const float *x, const float *mean, const float *variance,
    const float *scale, const float *bias, float epsilon, float *y) {
    return fovea::guarded([&] {
        for (int64_t r = 0; r < rows; ++r) {
            for (int64_t c = 0; c < channels; ++c) {
                const double inv = 1.0 / std::sqrt(double(variance[c]) + double(epsilon));
                const double v = (double(x[r * channels + c]) - double(mean[c])) * inv *
                                     double(scale[c]) +
                                 double(bias[c]);
                y[r * channels + c] = float(v);
            }
        }
        return FOVEA_STATUS_SUCCESS;
    });
}

extern "C" fovea_status fovea_reference_batchnorm_statistics(int64_t rows, int64_t channels,
                                                             const float *x, float *mean,
                                                             float *variance) {
    return fovea::guarded([&] {
        for (int64_t c = 0; c < channels; ++c) {
            double sum = 0.0;
            for (int64_t r = 0; r < rows; ++r) sum += double(x[r * channels + c]);
            const double mu = rows > 0 ? sum / double(rows) : 0.0;
            double squares = 0.0;
            for (int64_t r = 0; r < rows; ++r) {
                const double d = double(x[r * channels + c]) - mu;
                squares += d * d;
            }
            mean[c] = float(mu);
            variance[c] = rows > 0 ? float(squares / double(rows)) : 0.0f;  // biased
        }
        return FOVEA_STATUS_SUCCESS;
    });
}

// Batch norm's gradients from their definition, channel by channel in double.
extern "C" fovea_status fovea_reference_batchnorm_backward(int64_t rows, int64_t channels, const float *x,
                                                           const float *dy, const float *mean,
                                                           const float *variance, const float *scale,
                                                           float epsilon, int32_t batch_statistics,
                                                           float *dx, float *dscale, float *doffset) {
    return fovea::guarded([&] {
        for (int64_t c = 0; c < channels; ++c) {
            const double inverse = 1.0 / std::sqrt(double(variance[c]) + double(epsilon));
            double sum_dy = 0.0, sum_dy_xhat = 0.0;
            for (int64_t r = 0; r < rows; ++r) {
                const double g = dy[r * channels + c];
                sum_dy += g;
                sum_dy_xhat += g * (double(x[r * channels + c]) - double(mean[c])) * inverse;
            }
            dscale[c] = float(sum_dy_xhat);
            doffset[c] = float(sum_dy);
            const double gain = double(scale[c]) * inverse;
            for (int64_t r = 0; r < rows; ++r) {
                const double g = dy[r * channels + c];
                double value = gain * g;
                if (batch_statistics != 0) {
                    const double xhat = (double(x[r * channels + c]) - double(mean[c])) * inverse;
                    value = gain * (g - sum_dy / double(rows) - xhat * sum_dy_xhat / double(rows));
                }
                dx[r * channels + c] = float(value);
            }
        }
        return FOVEA_STATUS_SUCCESS;
    });
}

extern "C" fovea_status fovea_reference_instancenorm_forward(int64_t batch, int64_t spatial,
                                                             int64_t channels, const float *x,
                                                             const float *scale,
                                                             const float *bias, float epsilon,
                                                             float *y) {
    return fovea::guarded([&] {
        for (int64_t n = 0; n < batch; ++n) {
            const float *xn = x + n * spatial * channels;
            float *yn = y + n * spatial * channels;
            for (int64_t c = 0; c < channels; ++c) {
                double sum = 0.0;
                for (int64_t s = 0; s < spatial; ++s) sum += double(xn[s * channels + c]);
                const double mu = spatial > 0 ? sum / double(spatial) : 0.0;
                double squares = 0.0;
                for (int64_t s = 0; s < spatial; ++s) {
                    const double d = double(xn[s * channels + c]) - mu;
                    squares += d * d;
                }
                const double var = spatial > 0 ? squares / double(spatial) : 0.0;
                const double inv = 1.0 / std::sqrt(var + double(epsilon));
                for (int64_t s = 0; s < spatial; ++s) {
                    const double v =
                        (double(xn[s * channels + c]) - mu) * inv * double(scale[c]) +
                        double(bias[c]);
                    yn[s * channels + c] = float(v);
                }
            }
        }
        return FOVEA_STATUS_SUCCESS;
    });
}
