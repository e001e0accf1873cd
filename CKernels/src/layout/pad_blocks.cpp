// Constant padding by contiguous blocks: below the outermost padded-free
// suffix of axes every input row is one memcpy and every padded row one fill,
// instead of an index computation per element. Other modes (reflect, edge,
// wrap) go to the reference kernel.
#include <algorithm>
#include <cstring>

#include "common/guard.h"
#include "layout/layout_kernels.h"
#include "reference/reference.h"
#include "threadpool/threadpool.h"

namespace fovea::layout {

fovea_status pad_blocks(fovea_pad_mode mode, int32_t rank, const int64_t *shape, const int64_t *pad_begin,
                        const int64_t *pad_end, float value, const float *x, float *y) {
    if (mode != FOVEA_PAD_CONSTANT || rank < 1 || rank > FOVEA_MAX_RANK)
        return fovea_reference_pad_forward(mode, rank, shape, pad_begin, pad_end, value, x, y);
    return guarded([&] {
        // The innermost padded axis; everything inside it is copied as one block.
        int32_t axis = rank - 1;
        while (axis > 0 && pad_begin[axis] == 0 && pad_end[axis] == 0) --axis;
        int64_t inner = 1;
        for (int32_t d = axis + 1; d < rank; ++d) inner *= shape[d];
        int64_t out_shape[FOVEA_MAX_RANK];
        int64_t lines = 1;  // output rows along `axis`, one per index of the axes before it
        for (int32_t d = 0; d < rank; ++d) out_shape[d] = shape[d] + pad_begin[d] + pad_end[d];
        for (int32_t d = 0; d < axis; ++d) lines *= out_shape[d];
        const int64_t line_length = out_shape[axis] * inner;
        if (line_length == 0 || lines == 0) return FOVEA_STATUS_SUCCESS;
        const int64_t before = pad_begin[axis] * inner, middle = shape[axis] * inner;
        parallel_for(lines, grain_for(lines, std::max<int64_t>(1, (int64_t(1) << 14) / line_length)),
                     [&](int64_t begin, int64_t end) {
            for (int64_t line = begin; line < end; ++line) {
                float *out = y + line * line_length;
                // Which input line this is, if it is not wholly padding.
                int64_t rest = line, source = 0, stride = 1;
                bool inside = true;
                for (int32_t d = axis - 1; d >= 0; --d) {
                    const int64_t i = rest % out_shape[d] - pad_begin[d];
                    rest /= out_shape[d];
                    if (i < 0 || i >= shape[d]) {
                        inside = false;
                        break;
                    }
                    source += i * stride;
                    stride *= shape[d];
                }
                if (!inside) {
                    std::fill(out, out + line_length, value);
                    continue;
                }
                std::fill(out, out + before, value);
                if (middle > 0) std::memcpy(out + before, x + source * middle, size_t(middle) * sizeof(float));
                std::fill(out + before + middle, out + line_length, value);
            }
        });
        return FOVEA_STATUS_SUCCESS;
    });
}

}  // namespace fovea::layout
