// Convolution implementations, most preferred first; the reference kernels are
// last and accept everything.
#include "common/guard.h"
#include "dispatch/families.h"

namespace fovea {
namespace {

// The reference forward pass needs no scratch memory.
fovea_status reference_forward_workspace_size(const fovea_conv_desc *, size_t *bytes) {
    if (bytes == nullptr) return FOVEA_STATUS_INVALID_ARGUMENT;
    *bytes = 0;
    return FOVEA_STATUS_SUCCESS;
}

fovea_status reference_forward(const fovea_conv_desc *desc, const float *x, const float *w,
                               const float *bias, float *y, void *, size_t) {
    return fovea_reference_conv_forward(desc, x, w, bias, y);
}

const Implementation<ConvTable> kConvImplementations[] = {
    {FOVEA_ISA_SCALAR,
     {reference_forward_workspace_size, reference_forward, fovea_reference_conv_backward_data,
      fovea_reference_conv_backward_filter, fovea_reference_conv_backward_bias}},
};

const Implementation<ConvTransposeTable> kConvTransposeImplementations[] = {
    {FOVEA_ISA_SCALAR, {fovea_reference_conv_transpose_forward}},
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

extern "C" fovea_status fovea_conv_transpose_forward(const fovea_conv_desc *desc, const float *x,
                                                     const float *w, const float *bias, float *y) {
    return fovea::guarded(
        [&] { return fovea::conv_transpose_dispatch().table().forward(desc, x, w, bias, y); });
}
