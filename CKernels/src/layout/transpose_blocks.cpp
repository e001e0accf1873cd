// Transpose by blocks. Axes of length 1 are dropped and axes that stay
// neighbours under the permutation are merged first (OIHW -> HWIO becomes
// [O][I][HW] -> [HW][I][O]). Where the input's last axis stays last, each
// output row is one memcpy; otherwise the input's last axis and the output's
// last axis are walked in 16 x 16 blocks, whose reads and writes touch 16
// lines each. The reference computes an index per element, about 40
// instructions an element: loading VGG-16's weights took seconds.
#include <algorithm>
#include <cstring>

#include "common/guard.h"
#include "layout/layout_kernels.h"
#include "reference/reference.h"
#include "threadpool/threadpool.h"

namespace fovea::layout {
namespace {

constexpr int64_t kBlock = 16;

// The same transpose over fewer axes: `shape` in input order, output axis d
// reading input axis perm[d].
struct Merged {
    int32_t rank = 0;
    int64_t shape[FOVEA_MAX_RANK];
    int32_t perm[FOVEA_MAX_RANK];
};

Merged merge(int32_t rank, const int64_t *shape, const int32_t *perm) {
    // Input axes longer than 1, renumbered in input order.
    int32_t kept[FOVEA_MAX_RANK];
    int32_t count = 0;
    for (int32_t a = 0; a < rank; ++a) kept[a] = shape[a] == 1 ? -1 : count++;
    int32_t order[FOVEA_MAX_RANK];  // the kept axes in output order
    int64_t length[FOVEA_MAX_RANK];
    int32_t n = 0;
    for (int32_t d = 0; d < rank; ++d)
        if (kept[perm[d]] >= 0) order[n] = kept[perm[d]], length[n++] = shape[perm[d]];
    // Runs of consecutive input axes in output order become one axis each.
    int32_t first[FOVEA_MAX_RANK];  // each run's first (renumbered) input axis, in output order
    int64_t run_length[FOVEA_MAX_RANK];
    int32_t runs = 0;
    for (int32_t i = 0; i < n; ++i) {
        if (i > 0 && order[i] == order[i - 1] + 1) {
            run_length[runs - 1] *= length[i];
        } else {
            first[runs] = order[i];
            run_length[runs++] = length[i];
        }
    }
    // The runs in input order give the merged input axes.
    int32_t by_input[FOVEA_MAX_RANK];
    for (int32_t i = 0; i < runs; ++i) by_input[i] = i;
    std::sort(by_input, by_input + runs, [&](int32_t p, int32_t q) { return first[p] < first[q]; });
    Merged m;
    m.rank = runs;
    for (int32_t j = 0; j < runs; ++j) {
        m.shape[j] = run_length[by_input[j]];
        m.perm[by_input[j]] = j;
    }
    return m;
}

}  // namespace

fovea_status transpose_blocks(int32_t rank, const int64_t *shape, const int32_t *perm, const float *x, float *y) {
    if (rank < 1 || rank > FOVEA_MAX_RANK) return fovea_reference_transpose(rank, shape, perm, x, y);
    return guarded([&] {
        int64_t total = 1;
        for (int32_t d = 0; d < rank; ++d) total *= shape[d];
        if (total == 0) return FOVEA_STATUS_SUCCESS;
        const Merged m = merge(rank, shape, perm);
        const int32_t r = m.rank;
        if (r <= 1) {
            std::memcpy(y, x, size_t(total) * sizeof(float));
            return FOVEA_STATUS_SUCCESS;
        }
        int64_t in_stride[FOVEA_MAX_RANK], out_shape[FOVEA_MAX_RANK], out_stride[FOVEA_MAX_RANK];
        in_stride[r - 1] = 1;
        for (int32_t a = r - 2; a >= 0; --a) in_stride[a] = in_stride[a + 1] * m.shape[a + 1];
        for (int32_t d = 0; d < r; ++d) out_shape[d] = m.shape[m.perm[d]];
        out_stride[r - 1] = 1;
        for (int32_t d = r - 2; d >= 0; --d) out_stride[d] = out_stride[d + 1] * out_shape[d + 1];
        // Output axis `row_axis` is contiguous in y; `column_axis` reads the
        // input's last axis, contiguous in x. When they are the same axis,
        // rows are copied whole.
        const int32_t row_axis = r - 1;
        int32_t column_axis = 0;
        for (int32_t d = 0; d < r; ++d)
            if (m.perm[d] == r - 1) column_axis = d;
        const bool rows_whole = column_axis == row_axis;
        const int64_t rows = out_shape[row_axis], columns = rows_whole ? 1 : out_shape[column_axis];
        const int64_t x_row_step = in_stride[m.perm[row_axis]], y_column_step = out_stride[column_axis];
        int64_t outer = 1;  // positions of the other output axes
        for (int32_t d = 0; d < r; ++d)
            if (d != row_axis && d != column_axis) outer *= out_shape[d];
        const int64_t blocks = (columns + kBlock - 1) / kBlock;
        const int64_t items = outer * blocks;
        const int64_t per_item = rows * std::min(columns, kBlock);
        parallel_for(items, grain_for(items, std::max<int64_t>(1, (int64_t(1) << 14) / per_item)),
                     [&](int64_t begin, int64_t end) {
            for (int64_t item = begin; item < end; ++item) {
                int64_t position = item / blocks;
                int64_t x_base = 0, y_base = 0;
                for (int32_t d = r - 1; d >= 0; --d) {
                    if (d == row_axis || d == column_axis) continue;
                    const int64_t i = position % out_shape[d];
                    position /= out_shape[d];
                    x_base += i * in_stride[m.perm[d]];
                    y_base += i * out_stride[d];
                }
                if (rows_whole) {
                    std::memcpy(y + y_base, x + x_base, size_t(rows) * sizeof(float));
                    continue;
                }
                const int64_t c0 = (item % blocks) * kBlock, c1 = std::min(columns, c0 + kBlock);
                for (int64_t r0 = 0; r0 < rows; r0 += kBlock) {
                    const int64_t r1 = std::min(rows, r0 + kBlock);
                    for (int64_t c = c0; c < c1; ++c) {
                        const float *source = x + x_base + c;
                        float *target = y + y_base + c * y_column_step;
                        for (int64_t row = r0; row < r1; ++row) target[row] = source[row * x_row_step];
                    }
                }
            }
        });
        return FOVEA_STATUS_SUCCESS;
    });
}

}  // namespace fovea::layout
