// Convolution implementations, most preferred first; the reference kernels are
// last and accept everything.
#include "common/guard.h"
#include "conv/conv_plan.h"
#include "dispatch/families.h"

#include <vector>

namespace fovea {
namespace {

// The fast forward pass: a plan for the algorithm AUTO picks, created for
// this one call. Layers keep their plans instead (fovea_conv_plan_*).
fovea_status planned_forward_workspace_size(const fovea_conv_desc *desc, size_t *bytes) {
    fovea_conv_plan *plan = nullptr;
    static const float zero = 0.0f;
    // Sizing does not depend on the weights' values; a plan needs some to pack.
    std::vector<float> weights(size_t(desc->kernel[0] * desc->kernel[1] * desc->kernel[2] *
                                      (desc->in_channels / desc->groups) * desc->out_channels), zero);
    fovea_status status = fovea_conv_plan_create(desc, FOVEA_CONV_ALGORITHM_AUTO, weights.data(), nullptr, &plan);
    if (status != FOVEA_STATUS_SUCCESS) return status;
    status = fovea_conv_plan_workspace_size(plan, desc, bytes);
    fovea_conv_plan_destroy(plan);
    return status;
}

fovea_status planned_forward(const fovea_conv_desc *desc, const float *x, const float *w,
                             const float *bias, float *y, void *workspace, size_t workspace_bytes) {
    fovea_conv_plan *plan = nullptr;
    fovea_status status = fovea_conv_plan_create(desc, FOVEA_CONV_ALGORITHM_AUTO, w, bias, &plan);
    if (status != FOVEA_STATUS_SUCCESS) return status;
    status = fovea_conv_plan_run(plan, desc, x, y, workspace, workspace_bytes);
    fovea_conv_plan_destroy(plan);
    return status;
}

const Implementation<ConvTable> kConvImplementations[] = {
#if defined(__x86_64__)
    {FOVEA_ISA_AVX512,
     {planned_forward_workspace_size, planned_forward, conv::backward_data_fast, conv::backward_filter_fast,
      conv::backward_bias_fast}},
    {FOVEA_ISA_AVX2,
     {planned_forward_workspace_size, planned_forward, conv::backward_data_fast, conv::backward_filter_fast,
      conv::backward_bias_fast}},
#endif
    // The portable level still gets plans: portable microkernels and transforms.
    {FOVEA_ISA_SCALAR,
     {planned_forward_workspace_size, planned_forward, conv::backward_data_fast, conv::backward_filter_fast,
      conv::backward_bias_fast}},
};

// The same driver at every level: the GEMM plan and the gather inside it take
// the level that is active when they run.
const Implementation<ConvTransposeTable> kConvTransposeImplementations[] = {
#if defined(__x86_64__)
    {FOVEA_ISA_AVX512, {conv::transpose_workspace_size, conv::transpose_forward}},
    {FOVEA_ISA_AVX2, {conv::transpose_workspace_size, conv::transpose_forward}},
#endif
    {FOVEA_ISA_SCALAR, {conv::transpose_workspace_size, conv::transpose_forward}},
};

}  // namespace

Dispatch<ConvTable> &conv_dispatch() {
    static Dispatch<ConvTable> dispatch(kConvImplementations);
    return dispatch;
}

Dispatch<ConvTransposeTable> &conv_transpose_dispatch() {
    static Dispatch<ConvTransposeTable> dispatch(kConvTransposeImplementations);
    return dispatch;
}

}  // namespace fovea

extern "C" fovea_status fovea_conv_forward_workspace_size(const fovea_conv_desc *desc,
                                                          size_t *bytes) {
    return fovea::guarded(
        [&] { return fovea::conv_dispatch().table().forward_workspace_size(desc, bytes); });
}

extern "C" fovea_status fovea_conv_forward(const fovea_conv_desc *desc, const float *x,
                                           const float *w, const float *bias, float *y,
                                           void *workspace, size_t workspace_bytes) {
    return fovea::guarded([&] {
        return fovea::conv_dispatch().table().forward(desc, x, w, bias, y, workspace,
                                                      workspace_bytes);
    });
}

extern "C" fovea_status fovea_conv_backward_data(const fovea_conv_desc *desc, const float *dy,
                                                 const float *w, float *dx) {
    return fovea::guarded(
        [&] { return fovea::conv_dispatch().table().backward_data(desc, dy, w, dx); });
}

extern "C" fovea_status fovea_conv_backward_filter(const fovea_conv_desc *desc, const float *x,
                                                   const float *dy, float *dw) {
    return fovea::guarded(
        [&] { return fovea::conv_dispatch().table().backward_filter(desc, x, dy, dw); });
}

extern "C" fovea_status fovea_conv_backward_bias(const fovea_conv_desc *desc, const float *dy,
                                                 float *db) {
    return fovea::guarded(
        [&] { return fovea::conv_dispatch().table().backward_bias(desc, dy, db); });
}

extern "C" fovea_status fovea_conv_transpose_forward_workspace_size(const fovea_conv_desc *desc,
                                                                    size_t *bytes) {
    return fovea::guarded(
        [&] { return fovea::conv_transpose_dispatch().table().forward_workspace_size(desc, bytes); });
}

extern "C" fovea_status fovea_conv_transpose_forward(const fovea_conv_desc *desc, const float *x,
                                                     const float *w, const float *bias, float *y,
                                                     void *workspace, size_t workspace_bytes) {
    return fovea::guarded([&] {
        return fovea::conv_transpose_dispatch().table().forward(desc, x, w, bias, y, workspace,
                                                                workspace_bytes);
    });
}
