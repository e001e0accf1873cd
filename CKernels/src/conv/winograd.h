// Winograd convolution F(m x m, 3 x 3) for m = 2, 4, 6 (2-D, stride 1,
// dilation 1, groups 1, any padding).
//
// Weights are transformed once (U = G g G^T, in double precision) and packed
// for the GEMM microkernel. A run transforms a chunk of input tiles
// (V = B^T d B), multiplies V and U for each of the alpha^2 transform
// positions (one GEMM each, over all tiles of the chunk), and transforms the
// products back (Y = A^T M A) with the bias and activation fused. Tiles that
// overlap the image edges read zeros outside the input and write only the
// pixels inside the output.
#pragma once

#include "conv/conv_plan.h"

namespace fovea::conv {

bool winograd_applies(const fovea_conv_desc &d);

// How a run blocks its work, which the tile choice (winograd_choice.cpp) models.
// When U is small enough to stay in the per-core cache, each thread runs the
// three phases block by block on its own small V and M buffers (nothing leaves
// the cache); otherwise the phases run over large chunks so that U streams
// from memory once per chunk.
constexpr int64_t kCacheResidentWeights = int64_t(1) << 20;
// A fused block's V and M: a quarter of the core's L2, between 256 and 512 KB.
int64_t fused_block_bytes();
// Blocks per image the fused path makes at least, where the tiles allow it
// (see run_winograd).
constexpr int64_t kMinimumBlocks = 4;

// Whether a convolution's weights are still in cache when it runs again: a
// layer run alone (a benchmark, an image filter) finds them there, a layer
// of a model whose weights overflow the cache gets them from memory.
enum class WeightResidence { streamed, cached };
// The residence of the weights of a model that holds `model_weight_bytes` of
// them (0 or less: unknown, taken as streamed).
WeightResidence weight_residence(int64_t model_weight_bytes);

// The tile size AUTO prefers for d, or FOVEA_CONV_ALGORITHM_AUTO for "none".
fovea_conv_algorithm winograd_choose(const fovea_conv_desc &d, WeightResidence residence);
void pack_winograd_weights(fovea_conv_plan &plan, const float *w);
// Whether a packed plan's weights (its edge plan's included) stay in cache
// from run to run in a model of `model_weight_bytes` of weights.
bool winograd_weights_stay_cached(const fovea_conv_plan &plan, int64_t model_weight_bytes);
// minimum: the least a run can work with (one thread's share where threads get slices).
size_t winograd_workspace_size(const fovea_conv_plan &plan, const Problem &p, bool minimum = false);
void run_winograd(const fovea_conv_plan &plan, const Problem &p, const float *x, float *y,
                  void *workspace, size_t workspace_bytes);

}  // namespace fovea::conv
