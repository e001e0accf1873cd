// Gram-matrix implementations, most preferred first; the reference kernel is
// last and accepts everything.
#include "common/guard.h"
#include "dispatch/families.h"

namespace fovea {
namespace {

const Implementation<GramTable> kGramImplementations[] = {
    {FOVEA_ISA_SCALAR, {fovea_reference_gram_forward, fovea_reference_gram_backward}},
};

}  // namespace

Dispatch<GramTable> &gram_dispatch() {
    static Dispatch<GramTable> dispatch(kGramImplementations);
    return dispatch;
}

}  // namespace fovea

extern "C" fovea_status fovea_gram_forward(int64_t batch, int64_t spatial, int64_t channels,
                                           float scale, const float *x, float *g) {
    return fovea::guarded([&] {
        return fovea::gram_dispatch().table().forward(batch, spatial, channels, scale, x, g);
    });
}

extern "C" fovea_status fovea_gram_backward(int64_t batch, int64_t spatial, int64_t channels,
                                            float scale, const float *x, const float *dg,
                                            float *dx) {
    return fovea::guarded([&] {
        return fovea::gram_dispatch().table().backward(batch, spatial, channels, scale, x, dg,
                                                       dx);
    });
}
