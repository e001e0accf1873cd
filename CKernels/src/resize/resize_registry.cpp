// Resize implementations, most preferred first; the reference kernel is last
// and accepts everything.
#include "common/guard.h"
#include "dispatch/families.h"

namespace fovea {
namespace {

const Implementation<ResizeTable> kResizeImplementations[] = {
    {FOVEA_ISA_SCALAR, {fovea_reference_resize_forward}},
};

}  // namespace

Dispatch<ResizeTable> &resize_dispatch() {
    static Dispatch<ResizeTable> dispatch(kResizeImplementations);
    return dispatch;
}

}  // namespace fovea

extern "C" fovea_status fovea_resize_forward(const fovea_resize_desc *desc, const float *x,
                                             float *y) {
    return fovea::guarded([&] { return fovea::resize_dispatch().table().forward(desc, x, y); });
}
