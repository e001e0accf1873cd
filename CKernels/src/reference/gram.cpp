// Reference Gram matrix and its gradient. x[n] is [spatial, C], i.e. F^T, so
// F[c][s] = x[n][s][c]. Sums run over space in double.
#include <cstdint>

#include "common/guard.h"
#include "reference/reference.h"

extern "C" fovea_status fovea_reference_gram_forward(int64_t batch, int64_t spatial,
                                                     int64_t channels, float scale,
                                                     const float *x, float *g) {
    return fovea::guarded([&] {
        const int64_t C = channels;
        for (int64_t n = 0; n < batch; ++n) {
            const float *xn = x + n * spatial * C;
            float *gn = g + n * C * C;
            for (int64_t c1 = 0; c1 < C; ++c1)
                for (int64_t c2 = 0; c2 < C; ++c2) {
                    double sum = 0.0;
                    for (int64_t s = 0; s < spatial; ++s)
                        sum += double(xn[s * C + c1]) * double(xn[s * C + c2]);
                    gn[c1 * C + c2] = float(double(scale) * sum);
                }
        }
        return FOVEA_STATUS_SUCCESS;
    });
}

extern "C" fovea_status fovea_reference_gram_backward(int64_t batch, int64_t spatial,
                                                      int64_t channels, float scale,
                                                      const float *x, const float *dg,
                                                      float *dx) {
    return fovea::guarded([&] {
        const int64_t C = channels;
        for (int64_t n = 0; n < batch; ++n) {
            const float *xn = x + n * spatial * C;
            const float *dgn = dg + n * C * C;
            float *dxn = dx + n * spatial * C;
            // dx[s][c] = scale * sum_c' (dg[c][c'] + dg[c'][c]) * F[c'][s]
            for (int64_t s = 0; s < spatial; ++s)
                for (int64_t c = 0; c < C; ++c) {
                    double sum = 0.0;
                    for (int64_t c2 = 0; c2 < C; ++c2)
                        sum += (double(dgn[c * C + c2]) + double(dgn[c2 * C + c])) *
                               double(xn[s * C + c2]);
                    dxn[s * C + c] = float(double(scale) * sum);
                }
        }
        return FOVEA_STATUS_SUCCESS;
    });
}
