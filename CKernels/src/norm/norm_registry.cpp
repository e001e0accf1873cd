// Normalisation implementations, most preferred first; the reference kernel is
// last and accepts everything.
#include "common/guard.h"
#include "dispatch/families.h"

namespace fovea {
namespace {

const Implementation<NormTable> kNormImplementations[] = {
    {FOVEA_ISA_SCALAR,
     {fovea_reference_batchnorm_forward_inference, fovea_reference_batchnorm_statistics,
      fovea_reference_instancenorm_forward}},
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
