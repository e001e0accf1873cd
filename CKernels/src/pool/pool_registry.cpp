// Pooling implementations, most preferred first; the reference kernels are last
// and accept everything.
#include "common/guard.h"
#include "dispatch/families.h"

namespace fovea {
namespace {

const Implementation<PoolTable> kPoolImplementations[] = {
    {FOVEA_ISA_SCALAR,
     {fovea_reference_pool_max_forward, fovea_reference_pool_avg_forward,
      fovea_reference_pool_lp_forward, fovea_reference_pool_max_backward,
      fovea_reference_pool_avg_backward, fovea_reference_pool_global_avg_forward,
      fovea_reference_pool_global_max_forward}},
};

}  // namespace

Dispatch<PoolTable> &pool_dispatch() {
    static Dispatch<PoolTable> dispatch(kPoolImplementations);
    return dispatch;
}

}  // namespace fovea

extern "C" fovea_status fovea_pool_max_forward(const fovea_pool_desc *desc, const float *x,
                                               float *y) {
    return fovea::guarded([&] { return fovea::pool_dispatch().table().max_forward(desc, x, y); });
}

extern "C" fovea_status fovea_pool_avg_forward(const fovea_pool_desc *desc, const float *x,
                                               float *y) {
    return fovea::guarded([&] { return fovea::pool_dispatch().table().avg_forward(desc, x, y); });
}

extern "C" fovea_status fovea_pool_lp_forward(const fovea_pool_desc *desc, const float *x,
                                              float *y) {
    return fovea::guarded([&] { return fovea::pool_dispatch().table().lp_forward(desc, x, y); });
}

extern "C" fovea_status fovea_pool_max_backward(const fovea_pool_desc *desc, const float *x,
                                                const float *dy, float *dx) {
    return fovea::guarded(
        [&] { return fovea::pool_dispatch().table().max_backward(desc, x, dy, dx); });
}

extern "C" fovea_status fovea_pool_avg_backward(const fovea_pool_desc *desc, const float *dy,
                                                float *dx) {
    return fovea::guarded(
        [&] { return fovea::pool_dispatch().table().avg_backward(desc, dy, dx); });
}

extern "C" fovea_status fovea_pool_global_avg_forward(int64_t batch, int64_t spatial,
                                                      int64_t channels, const float *x, float *y) {
    return fovea::guarded([&] {
        return fovea::pool_dispatch().table().global_avg_forward(batch, spatial, channels, x, y);
    });
}

extern "C" fovea_status fovea_pool_global_max_forward(int64_t batch, int64_t spatial,
                                                      int64_t channels, const float *x, float *y) {
    return fovea::guarded([&] {
        return fovea::pool_dispatch().table().global_max_forward(batch, spatial, channels, x, y);
    });
}
