// Normalisation implementations, most preferred first. Every level runs the
// vectorised kernels of norm_kernels.h; the reference ones are the truth in
// the tests.
#include <cmath>
#include <vector>

#include "common/guard.h"
#include "dispatch/families.h"
#include "norm/norm_kernels.h"
#include "threadpool/threadpool.h"

namespace fovea {
namespace {

template <norm::Kernels (*Get)()>
fovea_status inference(int64_t rows, int64_t channels, const float *x, const float *mean, const float *variance,
                       const float *scale, const float *bias, float epsilon, float *y) {
    // y = (x - mean) * a + bias with a = scale / sqrt(variance + epsilon), once per call.
    std::vector<float> a(static_cast<size_t>(channels));
    for (int64_t c = 0; c < channels; ++c)
        a[size_t(c)] = float(double(scale[c]) / std::sqrt(double(variance[c]) + double(epsilon)));
    const norm::Kernels k = Get();
    parallel_for(rows, grain_for(rows, std::max<int64_t>(1, 4096 / std::max<int64_t>(1, channels))),
                 [&](int64_t begin, int64_t end) { k.affine(channels, x, mean, a.data(), bias, y, begin, end); });
    return FOVEA_STATUS_SUCCESS;
}

// Channel blocks of whole vectors, each summed over every row by one chunk.
template <norm::Kernels (*Get)()>
void moments(int64_t rows, int64_t channels, const float *x, double *sum, double *squares) {
    const norm::Kernels k = Get();
    const int64_t blocks = (channels + k.width - 1) / k.width;
    parallel_for(blocks, 1, [&](int64_t begin, int64_t end) {
        k.moments(rows, channels, x, sum, squares, begin * k.width, std::min(channels, end * k.width));
    });
}

template <norm::Kernels (*Get)()>
fovea_status statistics(int64_t rows, int64_t channels, const float *x, float *mean, float *variance) {
    std::vector<double> sum(static_cast<size_t>(channels)), squares(static_cast<size_t>(channels));
    moments<Get>(rows, channels, x, sum.data(), squares.data());
    for (int64_t c = 0; c < channels; ++c) {
        const double m = sum[size_t(c)] / double(rows);
        mean[c] = float(m);
        variance[c] = float(std::max(0.0, squares[size_t(c)] / double(rows) - m * m));
    }
    return FOVEA_STATUS_SUCCESS;
}

// Two passes: the per-channel sums (channel blocks over all rows, as the
// statistics), then dx as a per-channel affine function of dy and x.
template <norm::Kernels (*Get)()>
fovea_status backward(int64_t rows, int64_t channels, const float *x, const float *dy, const float *mean,
                      const float *variance, const float *scale, float epsilon, int32_t batch_statistics, float *dx,
                      float *dscale, float *doffset) {
    const norm::Kernels k = Get();
    const size_t count = static_cast<size_t>(channels);
    std::vector<double> sum_dy(count), sum_dy_centred(count);
    const int64_t blocks = (channels + k.width - 1) / k.width;
    parallel_for(blocks, 1, [&](int64_t begin, int64_t end) {
        k.gradient_sums(rows, channels, x, dy, mean, sum_dy.data(), sum_dy_centred.data(), begin * k.width,
                        std::min(channels, end * k.width));
    });
    std::vector<float> a(count), slope(count), shift(count);
    for (size_t c = 0; c < count; ++c) {
        const double inverse = 1.0 / std::sqrt(double(variance[c]) + double(epsilon));
        const double gain = double(scale[c]) * inverse;
        dscale[c] = float(sum_dy_centred[c] * inverse);
        doffset[c] = float(sum_dy[c]);
        a[c] = float(gain);
        if (batch_statistics != 0 && rows > 0) {
            slope[c] = float(-gain * inverse * inverse * sum_dy_centred[c] / double(rows));
            shift[c] = float(-gain * sum_dy[c] / double(rows));
        }
    }
    parallel_for(rows, grain_for(rows, std::max<int64_t>(1, 4096 / std::max<int64_t>(1, channels))),
                 [&](int64_t begin, int64_t end) {
                     k.gradient_affine(channels, x, dy, mean, a.data(), slope.data(), shift.data(), dx, begin, end);
                 });
    return FOVEA_STATUS_SUCCESS;
}

template <norm::Kernels (*Get)()>
fovea_status instance(int64_t batch, int64_t spatial, int64_t channels, const float *x, const float *scale,
                      const float *bias, float epsilon, float *y) {
    std::vector<double> sum(static_cast<size_t>(channels)), squares(static_cast<size_t>(channels));
    std::vector<float> centre(static_cast<size_t>(channels)), a(static_cast<size_t>(channels));
    const norm::Kernels k = Get();
    for (int64_t n = 0; n < batch; ++n) {
        const float *xn = x + n * spatial * channels;
        moments<Get>(spatial, channels, xn, sum.data(), squares.data());
        for (int64_t c = 0; c < channels; ++c) {
            const double m = sum[size_t(c)] / double(spatial);
            const double v = std::max(0.0, squares[size_t(c)] / double(spatial) - m * m);
            centre[size_t(c)] = float(m);
            a[size_t(c)] = float(double(scale[c]) / std::sqrt(v + double(epsilon)));
        }
        parallel_for(spatial, grain_for(spatial, std::max<int64_t>(1, 4096 / std::max<int64_t>(1, channels))),
                     [&](int64_t begin, int64_t end) {
                         k.affine(channels, xn, centre.data(), a.data(), bias, y + n * spatial * channels, begin,
                                  end);
                     });
    }
    return FOVEA_STATUS_SUCCESS;
}

template <norm::Kernels (*Get)()>
constexpr NormTable vectorised() {
    return {inference<Get>, statistics<Get>, backward<Get>, instance<Get>};
}

const Implementation<NormTable> kNormImplementations[] = {
#if defined(__x86_64__)
    {FOVEA_ISA_AVX512, vectorised<norm::kernels_avx512>()},
    {FOVEA_ISA_AVX2, vectorised<norm::kernels_avx2>()},
#endif
    {FOVEA_ISA_SCALAR, vectorised<norm::kernels_scalar>()},
};

}  // namespace

Dispatch<NormTable> &norm_dispatch() {
    static Dispatch<NormTable> dispatch(kNormImplementations);
    return dispatch;
}

}  // namespace fovea

extern "C" fovea_status fovea_batchnorm_forward_inference(int64_t rows, int64_t channels,
                                                          const float *x, const float *mean,
                                                          const float *variance,
                                                          const float *scale, const float *bias,
                                                          float epsilon, float *y) {
    return fovea::guarded([&] {
        return fovea::norm_dispatch().table().batchnorm_forward_inference(
            rows, channels, x, mean, variance, scale, bias, epsilon, y);
    });
}

extern "C" fovea_status fovea_batchnorm_statistics(int64_t rows, int64_t channels,
                                                   const float *x, float *mean,
                                                   float *variance) {
    return fovea::guarded([&] {
        return fovea::norm_dispatch().table().batchnorm_statistics(rows, channels, x, mean,
                                                                   variance);
    });
}

extern "C" fovea_status fovea_instancenorm_forward(int64_t batch, int64_t spatial,
                                                   int64_t channels, const float *x,
                                                   const float *scale, const float *bias,
                                                   float epsilon, float *y) {
    return fovea::guarded([&] {
        return fovea::norm_dispatch().table().instancenorm_forward(batch, spatial, channels, x,
                                                                   scale, bias, epsilon, y);
    });
}

extern "C" fovea_status fovea_batchnorm_backward(int64_t rows, int64_t channels, const float *x, const float *dy,
                                                 const float *mean, const float *variance, const float *scale,
                                                 float epsilon, int32_t batch_statistics, float *dx,
                                                 float *dscale, float *doffset) {
    return fovea::guarded([&] {
        return fovea::norm_dispatch().table().batchnorm_backward(rows, channels, x, dy, mean, variance, scale,
                                                                 epsilon, batch_statistics, dx, dscale, doffset);
    });
}
