// Gram-matrix implementations, most preferred first; the reference kernel is
// last and accepts everything.
#include <algorithm>

#include "common/guard.h"
#include "dispatch/families.h"
#include "gram/gram_syrk_kernels.h"

namespace fovea {
namespace {

// Enough for one thread or several: the thread count may change between
// the query and the run.
template <gram::Implementation (*Choose)(int64_t, bool)>
fovea_status syrk_workspace_size(int64_t spatial, int64_t channels, size_t *bytes) {
    *bytes = std::max(gram::workspace_floats(spatial, channels, Choose(channels, true).shape),
                      gram::workspace_floats(spatial, channels, Choose(channels, false).shape)) *
             sizeof(float);
    return FOVEA_STATUS_SUCCESS;
}

template <gram::Implementation (*Choose)(int64_t, bool)>
fovea_status syrk_forward(int64_t batch, int64_t spatial, int64_t channels, float scale, const float *x, float *g,
                          void *workspace, size_t bytes) {
    const gram::Implementation implementation = Choose(channels, fovea_threads_get() <= 1);
    if (bytes < gram::workspace_floats(spatial, channels, implementation.shape) * sizeof(float))
        return FOVEA_STATUS_INSUFFICIENT_WORKSPACE;
    gram::run(implementation, batch, spatial, channels, scale, x, g, static_cast<float *>(workspace));
    return FOVEA_STATUS_SUCCESS;
}

// dX = scale (dG + dG^T) F, in NHWC: dx = scale * x * dG^T + scale * x * dG,
// two GEMMs through the GEMM family's table.
fovea_status gemm_backward(int64_t batch, int64_t spatial, int64_t channels, float scale, const float *x,
                           const float *dg, float *dx) {
    for (int64_t n = 0; n < batch; ++n) {
        const float *xn = x + n * spatial * channels, *gn = dg + n * channels * channels;
        float *out = dx + n * spatial * channels;
        fovea_gemm_desc desc{spatial, channels, channels, 0, 1, channels, channels, channels, scale, 0.0f,
                             {FOVEA_ACTIVATION_NONE, 0, 0}};
        fovea_status status = fovea_gemm(&desc, xn, gn, nullptr, out);
        if (status != FOVEA_STATUS_SUCCESS) return status;
        desc.trans_b = 0;
        desc.beta = 1.0f;
        status = fovea_gemm(&desc, xn, gn, nullptr, out);
        if (status != FOVEA_STATUS_SUCCESS) return status;
    }
    return FOVEA_STATUS_SUCCESS;
}

const Implementation<GramTable> kGramImplementations[] = {
#if defined(__x86_64__)
    {FOVEA_ISA_AVX512,
     {syrk_workspace_size<gram::implementation_avx512>, syrk_forward<gram::implementation_avx512>, gemm_backward}},
    {FOVEA_ISA_AVX2,
     {syrk_workspace_size<gram::implementation_avx2>, syrk_forward<gram::implementation_avx2>, gemm_backward}},
#endif
    {FOVEA_ISA_SCALAR,
     {syrk_workspace_size<gram::implementation_scalar>, syrk_forward<gram::implementation_scalar>, gemm_backward}},
};

}  // namespace

Dispatch<GramTable> &gram_dispatch() {
    static Dispatch<GramTable> dispatch(kGramImplementations);
    return dispatch;
}

}  // namespace fovea

extern "C" fovea_status fovea_gram_forward_workspace_size(int64_t spatial, int64_t channels, size_t *bytes) {
    return fovea::guarded([&] { return fovea::gram_dispatch().table().forward_workspace_size(spatial, channels, bytes); });
}

extern "C" fovea_status fovea_gram_forward(int64_t batch, int64_t spatial, int64_t channels, float scale,
                                           const float *x, float *g, void *workspace, size_t workspace_bytes) {
    return fovea::guarded([&] {
        return fovea::gram_dispatch().table().forward(batch, spatial, channels, scale, x, g, workspace,
                                                      workspace_bytes);
    });
}

extern "C" fovea_status fovea_gram_backward(int64_t batch, int64_t spatial, int64_t channels, float scale,
                                            const float *x, const float *dg, float *dx) {
    return fovea::guarded([&] {
        return fovea::gram_dispatch().table().backward(batch, spatial, channels, scale, x, dg, dx);
    });
}
