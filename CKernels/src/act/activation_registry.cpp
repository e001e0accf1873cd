// Activation implementations, most preferred first. The piecewise-linear
// kinds and PReLU have intrinsics kernels per ISA (activation_*.cpp); sigmoid,
// tanh and softmax go through the vectorised exp (transcendental.h) at every
// level, the portable one included.
#include "act/activation_kernels.h"
#include "act/transcendental.h"
#include "common/guard.h"
#include "dispatch/families.h"
#include "threadpool/threadpool.h"

#include <algorithm>

namespace fovea {
namespace {

template <transcendental::Kernels (*Get)(),
          fovea_status (*Linear)(const fovea_activation *, int64_t, const float *, float *)>
fovea_status forward(const fovea_activation *activation, int64_t count, const float *x, float *y) {
    if (activation->kind != FOVEA_ACTIVATION_SIGMOID && activation->kind != FOVEA_ACTIVATION_TANH)
        return Linear(activation, count, x, y);
    const transcendental::Kernels k = Get();
    const auto kernel = activation->kind == FOVEA_ACTIVATION_SIGMOID ? k.sigmoid : k.tanh;
    // Chunks of whole vectors of 16, so that no chunk but the last has a tail.
    const int64_t grain = (grain_for(count, 1 << 12) + 15) / 16 * 16;
    parallel_for(count, grain, [&](int64_t begin, int64_t end) { kernel(x, y, begin, end); });
    return FOVEA_STATUS_SUCCESS;
}

template <transcendental::Kernels (*Get)()>
void transcendental_rows(fovea_activation_kind kind, int64_t rows, int64_t columns, int64_t stride, float *y) {
    const transcendental::Kernels k = Get();
    const auto kernel = kind == FOVEA_ACTIVATION_SIGMOID ? k.sigmoid : k.tanh;
    if (stride == columns) {
        kernel(y, y, 0, rows * columns);  // contiguous rows: one call
        return;
    }
    for (int64_t r = 0; r < rows; ++r) kernel(y + r * stride, y + r * stride, 0, columns);
}

// The portable sum: rows added, then the reference activation in place.
void residual_block_scalar(const fovea_activation *activation, int64_t rows, int64_t columns, int64_t stride,
                           float *c, const float *r, int64_t r_stride) {
    const bool piecewise = activation->kind != FOVEA_ACTIVATION_SIGMOID && activation->kind != FOVEA_ACTIVATION_TANH &&
                           activation->kind != FOVEA_ACTIVATION_NONE;
    for (int64_t i = 0; i < rows; ++i) {
        float *row = c + i * stride;
        for (int64_t j = 0; j < columns; ++j) row[j] = r[i * r_stride + j] + row[j];
        if (piecewise) fovea_reference_activation_forward(activation, columns, row, row);
    }
}

template <transcendental::Kernels (*Get)(),
          void (*Add)(const fovea_activation *, int64_t, int64_t, int64_t, float *, const float *, int64_t)>
void residual_rows(const fovea_activation *activation, int64_t rows, int64_t columns, int64_t stride, float *c,
                   const float *r, int64_t r_stride) {
    Add(activation, rows, columns, stride, c, r, r_stride);
    if (activation->kind == FOVEA_ACTIVATION_SIGMOID || activation->kind == FOVEA_ACTIVATION_TANH)
        transcendental_rows<Get>(activation->kind, rows, columns, stride, c);
}

template <transcendental::Kernels (*Get)()>
fovea_status softmax(int64_t outer, int64_t axis, int64_t inner, const float *x, float *y) {
    const transcendental::Kernels k = Get();
    parallel_for(outer, grain_for(outer, std::max<int64_t>(1, 4096 / std::max<int64_t>(1, axis * inner))),
                 [&](int64_t begin, int64_t end) { k.softmax(axis, inner, x, y, begin, end); });
    return FOVEA_STATUS_SUCCESS;
}

const Implementation<ActivationTable> kActivationImplementations[] = {
#if defined(__x86_64__)
    {FOVEA_ISA_AVX512,
     {forward<transcendental::kernels_avx512, activation_forward_avx512>,
      transcendental_rows<transcendental::kernels_avx512>,
      residual_rows<transcendental::kernels_avx512, residual_rows_avx512>, prelu_forward_avx512,
      softmax<transcendental::kernels_avx512>}},
    {FOVEA_ISA_AVX2,
     {forward<transcendental::kernels_avx2, activation_forward_avx2>,
      transcendental_rows<transcendental::kernels_avx2>,
      residual_rows<transcendental::kernels_avx2, residual_rows_avx2>, prelu_forward_avx2,
      softmax<transcendental::kernels_avx2>}},
#endif
    {FOVEA_ISA_SCALAR,
     {forward<transcendental::kernels_scalar, fovea_reference_activation_forward>,
      transcendental_rows<transcendental::kernels_scalar>,
      residual_rows<transcendental::kernels_scalar, residual_block_scalar>, fovea_reference_prelu_forward,
      softmax<transcendental::kernels_scalar>}},
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
