// Elementwise binary implementations, most preferred first. The vectorised
// rows kernel takes operands whose innermost stride is 0 or 1; anything else
// (a transposed view) goes to the reference walk.
#include "binary/binary_kernels.h"
#include "common/guard.h"
#include "dispatch/families.h"
#include "threadpool/threadpool.h"

#include <algorithm>

namespace fovea {
namespace {

template <binary::Kernel (*Get)()>
fovea_status forward(fovea_binary_op op, int32_t rank, const int64_t *shape, const float *a,
                     const int64_t *a_strides, const float *b, const int64_t *b_strides, float *y) {
    if (rank < 1 || (a_strides[rank - 1] != 0 && a_strides[rank - 1] != 1) ||
        (b_strides[rank - 1] != 0 && b_strides[rank - 1] != 1))
        return fovea_reference_binary_forward(op, rank, shape, a, a_strides, b, b_strides, y);
    int64_t outer = 1;
    for (int32_t d = 0; d + 1 < rank; ++d) outer *= shape[d];
    const binary::Args args{op, rank, shape, a, a_strides, b, b_strides, y};
    const binary::Kernel kernel = Get();
    const int64_t inner = std::max<int64_t>(1, shape[rank - 1]);
    parallel_for(outer, grain_for(outer, std::max<int64_t>(1, (int64_t(1) << 14) / inner)),
                 [&](int64_t begin, int64_t end) { kernel(args, begin, end); });
    return FOVEA_STATUS_SUCCESS;
}

const Implementation<BinaryTable> kBinaryImplementations[] = {
#if defined(__x86_64__)
    {FOVEA_ISA_AVX512, {forward<binary::kernel_avx512>}},
    {FOVEA_ISA_AVX2, {forward<binary::kernel_avx2>}},
#endif
    {FOVEA_ISA_SCALAR, {forward<binary::kernel_scalar>}},
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
