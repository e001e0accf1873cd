// The Winograd tile transforms in portable code: 4-channel generic vectors,
// which the compiler maps to the baseline SIMD of the target (SSE2, NEON) or
// to scalar code.
#include "conv/winograd_transforms.h"

namespace fovea::conv::winograd {
namespace {

template <int M> void input_scalar(const InputArgs &a) { input_transform<M, 4>(a); }
template <int M> void output_scalar(const OutputArgs &a) { output_transform<M, 4>(a); }

}  // namespace

Kernels kernels_scalar(int m) {
    switch (m) {
        case 2: return {input_scalar<2>, output_scalar<2>, 4};
        case 4: return {input_scalar<4>, output_scalar<4>, 4};
        default: return {input_scalar<6>, output_scalar<6>, 4};
    }
}

}  // namespace fovea::conv::winograd
