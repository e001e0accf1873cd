// Activation implementations, most preferred first; the reference kernels are
// last and accept everything. Softmax has no vector form yet, so every entry
// uses the reference one.
#include "act/activation_kernels.h"
#include "common/guard.h"
#include "dispatch/families.h"

namespace fovea {
namespace {

const Implementation<ActivationTable> kActivationImplementations[] = {
#if defined(__x86_64__)
    {FOVEA_ISA_AVX512,
     {activation_forward_avx512, prelu_forward_avx512, fovea_reference_softmax_forward}},
    {FOVEA_ISA_AVX2,
     {activation_forward_avx2, prelu_forward_avx2, fovea_reference_softmax_forward}},
#endif
    {FOVEA_ISA_SCALAR,
     {fovea_reference_activation_forward, fovea_reference_prelu_forward,
      fovea_reference_softmax_forward}},
};

}  // namespace

Dispatch<ActivationTable> &activation_dispatch() {
    static Dispatch<ActivationTable> dispatch(kActivationImplementations);
    return dispatch;
}

}  // namespace fovea

extern "C" fovea_status fovea_activation_forward(const fovea_activation *activation,
                                                 int64_t count, const float *x, float *y) {
    return fovea::guarded([&] {
        return fovea::activation_dispatch().table().forward(activation, count, x, y);
    });
}

extern "C" fovea_status fovea_prelu_forward(int64_t rows, int64_t channels, const float *x,
                                            const float *slope, float *y) {
    return fovea::guarded([&] {
        return fovea::activation_dispatch().table().prelu_forward(rows, channels, x, slope, y);
    });
}

extern "C" fovea_status fovea_softmax_forward(int64_t outer, int64_t axis, int64_t inner,
                                              const float *x, float *y) {
    return fovea::guarded([&] {
        return fovea::activation_dispatch().table().softmax_forward(outer, axis, inner, x, y);
    });
}
