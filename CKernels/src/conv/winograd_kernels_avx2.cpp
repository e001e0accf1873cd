// The Winograd tile transforms compiled for AVX2 (8 channels per vector).
#if defined(__x86_64__)
#include "common/target.h"
#include "conv/winograd_transforms.h"

namespace fovea::conv::winograd {
namespace {

template <int M> FOVEA_TARGET_AVX2 void input_avx2(const InputArgs &a) { input_transform<M, 8>(a); }
template <int M> FOVEA_TARGET_AVX2 void output_avx2(const OutputArgs &a) { output_transform<M, 8>(a); }

}  // namespace

Kernels kernels_avx2(int m) {
    switch (m) {
        case 2: return {input_avx2<2>, output_avx2<2>, 8};
        case 4: return {input_avx2<4>, output_avx2<4>, 8};
        default: return {input_avx2<6>, output_avx2<6>, 8};
    }
}

}  // namespace fovea::conv::winograd
#endif
