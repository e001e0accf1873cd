// Depthwise-separable blocks (MobileNet): the depthwise convolution of a few
// output rows goes into a per-thread buffer that stays in cache, and the
// pointwise GEMM consumes it at once; the intermediate image never exists
// whole. MobileNet v2's inverted residual puts a 1x1 expansion in front: the
// expanded rows a block reads are computed into another per-thread buffer,
// and rows shared with the next block of its strip are carried over. Blocks
// and strips depend on the shapes only, so results do not depend on threads.
#include <algorithm>
#include <atomic>
#include <cstring>

#include "common/aligned_buffer.h"
#include "common/guard.h"
#include "conv/conv_plan.h"
#include "threadpool/threadpool.h"

namespace fovea::conv {
namespace {

// The stages of one block; `expand` may be null (a plain separable block).
struct Stages {
    const fovea_conv_plan *expand;
    const fovea_conv_desc *ed;
    const fovea_conv_plan *depthwise;
    const fovea_conv_desc *dd;
    const fovea_conv_plan *pointwise;
    const fovea_conv_desc *pd;
    // A residual sum after the projection (MobileNet v2's shortcut), or null.
    const float *residual = nullptr;
    const fovea_activation *residual_activation = nullptr;
};

// Rows per block at most: the intermediate block near 64 KB, at least one
// row. With an expansion in front, more rows (its buffer near 256 KB): a
// block computes again the expanded rows it shares with the block before it
// when that block starts another strip, and a block of few rows would spend
// much of its time on them.
int64_t block_rows(const Stages &s) {
    const fovea_conv_desc &dw = *s.dd;
    const int64_t row_bytes = dw.out_size[2] * dw.out_channels * int64_t(sizeof(float));
    int64_t rows = std::max<int64_t>(1, (int64_t(64) << 10) / std::max<int64_t>(row_bytes, 1));
    if (s.expand) {
        const int64_t in_row_bytes = dw.in_size[2] * dw.in_channels * int64_t(sizeof(float));
        rows = std::max(rows, (int64_t(256) << 10) / std::max<int64_t>(in_row_bytes * dw.stride[1], 1));
    }
    return rows;
}

// Strips per image: the threads take whole strips, and a strip runs its
// blocks in order. An odd count of several is raised by one, for two threads
// to share them out. Plain separable blocks share nothing: one block per
// strip. With an expansion, strips of up to about four blocks, a multiple of
// four strips per image, so that two or four threads get equal shares.
int64_t strips_per_image(const Stages &s, int64_t rows) {
    const int64_t height = s.dd->out_size[1];
    int64_t blocks = (height + rows - 1) / rows;
    if (blocks > 1 && blocks % 2 == 1 && blocks < height) ++blocks;
    if (s.expand && blocks > 4) return std::min(blocks, ((blocks + 3) / 4 + 3) / 4 * 4);
    return blocks;
}

// Expanded input rows a block of `rows` output rows reads, at most.
int64_t expanded_rows(const Stages &s, int64_t rows) {
    const fovea_conv_desc &dw = *s.dd;
    return std::min(dw.in_size[1], (rows - 1) * dw.stride[1] + (dw.kernel[1] - 1) * dw.dilation[1] + 1);
}

bool compatible(const Stages &s) {
    const fovea_conv_plan &dw = *s.depthwise, &pw = *s.pointwise;
    const fovea_conv_desc &dd = *s.dd, &pd = *s.pd;
    if (dw.algorithm != FOVEA_CONV_ALGORITHM_DEPTHWISE) return false;
    if (!depthwise_applies(dd) || !gemm_is_pointwise(pd) || pd.groups != 1) return false;
    if (!(pd.batch == dd.batch && pd.in_channels == dd.out_channels && pd.in_size[0] == 1 &&
          pd.in_size[1] == dd.out_size[1] && pd.in_size[2] == dd.out_size[2] && pw.desc.groups == 1))
        return false;
    if (!s.expand) return true;
    const fovea_conv_desc &ed = *s.ed;
    // Every output row's window must reach a row of the image: the padding is
    // shorter than the window (always so for .same).
    const int64_t extent = (dd.kernel[1] - 1) * dd.dilation[1] + 1;
    return s.expand->algorithm == FOVEA_CONV_ALGORITHM_GEMM && gemm_is_pointwise(ed) && ed.groups == 1 &&
           s.expand->desc.groups == 1 && ed.batch == dd.batch && ed.out_channels == dd.in_channels &&
           ed.in_size[0] == 1 && ed.out_size[1] == dd.in_size[1] && ed.out_size[2] == dd.in_size[2] &&
           dd.pad_begin[1] < extent && dd.pad_end[1] < extent;
}

// A pointwise problem over `rows` rows of its image.
fovea_conv_desc pointwise_block(const fovea_conv_desc &pd, int64_t rows) {
    fovea_conv_desc b = pd;
    b.batch = 1;
    b.in_size[1] = b.out_size[1] = rows;
    return b;
}

size_t gemm_bytes(const fovea_conv_plan &plan, const fovea_conv_desc &d, int64_t rows) {
    size_t bytes = 0;
    fovea_conv_desc b = pointwise_block(d, rows);
    fovea_conv_plan_workspace_size(&plan, &b, &bytes);
    return round_to_cache_line(bytes);
}

// One worker's share: [expanded rows][intermediate rows][GEMM scratch].
struct Layout {
    size_t expanded, middle, scratch;
    size_t total() const { return expanded + middle + scratch; }
};

Layout layout(const Stages &s) {
    const fovea_conv_desc &dd = *s.dd;
    const int64_t rows = block_rows(s);
    Layout l{};
    l.middle = round_to_cache_line(size_t(rows * dd.out_size[2] * dd.out_channels) * sizeof(float));
    l.scratch = gemm_bytes(*s.pointwise, *s.pd, rows);
    if (s.expand) {
        const int64_t in_rows = expanded_rows(s, rows);
        l.expanded = round_to_cache_line(size_t(in_rows * dd.in_size[2] * dd.in_channels) * sizeof(float));
        l.scratch = std::max(l.scratch, gemm_bytes(*s.expand, *s.ed, in_rows));
    }
    return l;
}

fovea_status workspace_size(const Stages &s, size_t *bytes) {
    if (!compatible(s)) return FOVEA_STATUS_INVALID_ARGUMENT;
    *bytes = layout(s).total() * size_t(std::max(fovea_threads_get(), 1));
    return FOVEA_STATUS_SUCCESS;
}

fovea_status run(const Stages &s, const float *x, float *y, void *workspace, size_t workspace_bytes) {
    if (!compatible(s)) return FOVEA_STATUS_INVALID_ARGUMENT;
    // Refused before any stage runs: the residual sum needs a projection without an activation.
    if (s.residual && s.pointwise->desc.activation.kind != FOVEA_ACTIVATION_NONE) return FOVEA_STATUS_INVALID_ARGUMENT;
    const fovea_conv_desc &dd = *s.dd, &pd = *s.pd;
    const Layout l = layout(s);
    const size_t per_worker = l.total();
    if (workspace_bytes < per_worker) return FOVEA_STATUS_INSUFFICIENT_WORKSPACE;
    const int32_t workers = int32_t(std::max<size_t>(1, workspace_bytes / per_worker));
    const int64_t rows = block_rows(s);
    const int64_t out_row_floats = pd.out_size[2] * pd.out_channels;
    const int64_t x_row_floats = dd.in_size[2] * (s.expand ? s.ed->in_channels : dd.in_channels);
    const int64_t e_row_floats = dd.in_size[2] * dd.in_channels;
    const int64_t in_image = dd.in_size[1] * x_row_floats;
    const int64_t extent = (dd.kernel[1] - 1) * dd.dilation[1] + 1;
    std::atomic<int> failure{FOVEA_STATUS_SUCCESS};
    // A strip's rows differ from another's by one at most, and its blocks'
    // likewise (equal blocks instead left MobileNet v2's 28-row map with
    // strips of 4, 8, 8 and 8 rows: two threads 1.46 times one). A block takes
    // the expanded rows it shares with the one before it in its strip instead
    // of computing them again. Strips and blocks depend on the shapes only,
    // not on the thread count, and so does which rows share an expansion
    // GEMM: that decides the last bits of the result.
    const int64_t strips = strips_per_image(s, rows);
    parallel_for_workers(dd.batch * strips, 1, workers, [&](int64_t begin, int64_t end, int32_t worker) {
        char *base = static_cast<char *>(workspace) + size_t(worker) * per_worker;
        float *expanded = reinterpret_cast<float *>(base);
        float *middle = reinterpret_cast<float *>(base + l.expanded);
        void *scratch = base + l.expanded + l.middle;
        for (int64_t strip = begin; strip < end; ++strip) {
            // Expanded rows [held_first, held_end) of the strip's image are in `expanded`.
            int64_t held_first = 0, held_end = 0;
            const int64_t n = strip / strips, index = strip % strips;
            const int64_t strip_first = index * dd.out_size[1] / strips;
            const int64_t strip_rows = (index + 1) * dd.out_size[1] / strips - strip_first;
            const int64_t blocks = (strip_rows + rows - 1) / rows;
            for (int64_t block_index = 0; block_index < blocks; ++block_index) {
                const int64_t first = strip_first + block_index * strip_rows / blocks;
                const int64_t count = strip_first + (block_index + 1) * strip_rows / blocks - first;
                fovea_conv_desc one = dd;
                one.batch = 1;
                const float *source = x + n * in_image;
                int64_t from = 0;  // first output row relative to the rows the depthwise stage sees
                if (s.expand) {
                    // Input rows the block reads, clipped to the image.
                    const int64_t top = first * dd.stride[1] - dd.pad_begin[1];
                    const int64_t r0 = std::max<int64_t>(top, 0);
                    const int64_t r1 = std::min(dd.in_size[1], (first + count - 1) * dd.stride[1] - dd.pad_begin[1] + extent);
                    int64_t ready = r0;
                    if (held_end > r0 && held_first <= r0) {
                        std::memmove(expanded, expanded + (r0 - held_first) * e_row_floats,
                                     size_t((held_end - r0) * e_row_floats) * sizeof(float));
                        ready = held_end;
                    }
                    if (r1 > ready) {
                        const fovea_conv_desc block = pointwise_block(*s.ed, r1 - ready);
                        const fovea_status status =
                            fovea_conv_plan_run(s.expand, &block, source + ready * x_row_floats,
                                                expanded + (ready - r0) * e_row_floats, scratch, l.scratch);
                        if (status != FOVEA_STATUS_SUCCESS) failure.store(status);
                    }
                    held_first = r0, held_end = r1;
                    // The depthwise stage sees just those rows, its padding shifted to match.
                    one.in_size[1] = r1 - r0;
                    one.out_size[1] = count;
                    one.pad_begin[1] = r0 - top;
                    one.pad_end[1] = (count - 1) * dd.stride[1] + extent - one.pad_begin[1] - one.in_size[1];
                    source = expanded;
                } else {
                    from = first;
                }
                conv::Problem p = conv::make_problem(one);
                p.d.activation = s.depthwise->desc.activation;
                conv::run_depthwise_rows(*s.depthwise, p, source, middle, from, from + count);
                const fovea_conv_desc block = pointwise_block(pd, count);
                const int64_t offset = (n * pd.out_size[1] + first) * out_row_floats;
                const fovea_status status =
                    s.residual ? fovea_conv_plan_run_residual(s.pointwise, &block, middle, s.residual + offset,
                                                              s.residual_activation, y + offset, scratch, l.scratch)
                               : fovea_conv_plan_run(s.pointwise, &block, middle, y + offset, scratch, l.scratch);
                if (status != FOVEA_STATUS_SUCCESS) failure.store(status);
            }
        }
    });
    return static_cast<fovea_status>(failure.load());
}

}  // namespace
}  // namespace fovea::conv

using namespace fovea;

extern "C" fovea_status fovea_conv_separable_workspace_size(const fovea_conv_plan *depthwise,
                                                            const fovea_conv_desc *depthwise_desc,
                                                            const fovea_conv_plan *pointwise,
                                                            const fovea_conv_desc *pointwise_desc, size_t *bytes) {
    return guarded([&] {
        if (!depthwise || !pointwise || !depthwise_desc || !pointwise_desc || !bytes)
            return FOVEA_STATUS_INVALID_ARGUMENT;
        return conv::workspace_size({nullptr, nullptr, depthwise, depthwise_desc, pointwise, pointwise_desc}, bytes);
    });
}

extern "C" fovea_status fovea_conv_separable_run(const fovea_conv_plan *depthwise, const fovea_conv_desc *depthwise_desc,
                                                 const fovea_conv_plan *pointwise, const fovea_conv_desc *pointwise_desc,
                                                 const float *x, float *y, void *workspace, size_t workspace_bytes) {
    return guarded([&] {
        if (!depthwise || !pointwise || !depthwise_desc || !pointwise_desc || !x || !y)
            return FOVEA_STATUS_INVALID_ARGUMENT;
        return conv::run({nullptr, nullptr, depthwise, depthwise_desc, pointwise, pointwise_desc}, x, y, workspace,
                         workspace_bytes);
    });
}

extern "C" fovea_status fovea_conv_inverted_residual_workspace_size(
    const fovea_conv_plan *expand, const fovea_conv_desc *expand_desc, const fovea_conv_plan *depthwise,
    const fovea_conv_desc *depthwise_desc, const fovea_conv_plan *project, const fovea_conv_desc *project_desc,
    size_t *bytes) {
    return guarded([&] {
        if (!expand || !expand_desc || !depthwise || !depthwise_desc || !project || !project_desc || !bytes)
            return FOVEA_STATUS_INVALID_ARGUMENT;
        return conv::workspace_size({expand, expand_desc, depthwise, depthwise_desc, project, project_desc}, bytes);
    });
}

extern "C" fovea_status fovea_conv_inverted_residual_run(
    const fovea_conv_plan *expand, const fovea_conv_desc *expand_desc, const fovea_conv_plan *depthwise,
    const fovea_conv_desc *depthwise_desc, const fovea_conv_plan *project, const fovea_conv_desc *project_desc,
    const float *x, const float *residual, const fovea_activation *activation, float *y, void *workspace,
    size_t workspace_bytes) {
    return guarded([&] {
        if (!expand || !expand_desc || !depthwise || !depthwise_desc || !project || !project_desc || !x || !y ||
            (residual && !activation))
            return FOVEA_STATUS_INVALID_ARGUMENT;
        return conv::run({expand, expand_desc, depthwise, depthwise_desc, project, project_desc, residual, activation},
                         x, y, workspace, workspace_bytes);
    });
}
