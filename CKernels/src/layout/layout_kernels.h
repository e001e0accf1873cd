// Data-movement kernels that beat the reference by moving contiguous blocks.
#pragma once

#include "fovea_kernels.h"

namespace fovea::layout {

fovea_status pad_blocks(fovea_pad_mode mode, int32_t rank, const int64_t *shape, const int64_t *pad_begin,
                        const int64_t *pad_end, float value, const float *x, float *y);

fovea_status transpose_blocks(int32_t rank, const int64_t *shape, const int32_t *perm, const float *x, float *y);

}  // namespace fovea::layout
