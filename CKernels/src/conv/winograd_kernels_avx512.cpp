// The Winograd tile transforms compiled for AVX-512 (16 channels per vector).
#if defined(__x86_64__)
#include "common/target.h"
#include "conv/winograd_transforms.h"

namespace fovea::conv::winograd {
namespace {

template <int M> FOVEA_TARGET_AVX512 void input_avx512(const InputArgs &a) { input_transform<M, 16>(a); }
template <int M> FOVEA_TARGET_AVX512 void output_avx512(const OutputArgs &a) { output_transform<M, 16>(a); }

}  // namespace

Kernels kernels_avx512(int m) {
    switch (m) {
        case 2: return {input_avx512<2>, output_avx512<2>, 16};
        case 4: return {input_avx512<4>, output_avx512<4>, 16};
        default: return {input_avx512<6>, output_avx512<6>, 16};
    }
}

}  // namespace fovea::conv::winograd
#endif
