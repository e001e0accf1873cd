// Elementwise binary implementations, most preferred first; the reference
// kernel is last and accepts everything.
#include "common/guard.h"
#include "dispatch/families.h"

namespace fovea {
namespace {

const Implementation<BinaryTable> kBinaryImplementations[] = {
    {FOVEA_ISA_SCALAR, {fovea_reference_binary_forward}},
};

}  // namespace

Dispatch<BinaryTable> &binary_dispatch() {
    static Dispatch<BinaryTable> dispatch(kBinaryImplementations);
    return dispatch;
}

}  // namespace fovea

extern "C" fovea_status fovea_binary_forward(fovea_binary_op op, int32_t rank,
                                             const int64_t *shape, const float *a,
                                             const int64_t *a_strides, const float *b,
                                             const int64_t *b_strides, float *y) {
    return fovea::guarded([&] {
        return fovea::binary_dispatch().table().forward(op, rank, shape, a, a_strides, b,
                                                        b_strides, y);
    });
}
