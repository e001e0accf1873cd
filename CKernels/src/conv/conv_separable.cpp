// Depthwise-separable blocks (MobileNet): the depthwise convolution of a few
// output rows goes into a per-thread buffer that stays in cache, and the
// pointwise GEMM consumes it at once; the intermediate image never exists
// whole. Each block of rows is one chunk, so results do not depend on threads.
#include <algorithm>
#include <atomic>

#include "common/aligned_buffer.h"
#include "common/guard.h"
#include "conv/conv_plan.h"
#include "threadpool/threadpool.h"

namespace fovea::conv {
namespace {

// Rows per block: the intermediate block near 64 KB, at least one row.
int64_t block_rows(const fovea_conv_desc &dw) {
    const int64_t row_bytes = dw.out_size[2] * dw.out_channels * int64_t(sizeof(float));
    return std::max<int64_t>(1, (int64_t(64) << 10) / std::max<int64_t>(row_bytes, 1));
}

bool compatible(const fovea_conv_plan &dw, const fovea_conv_desc &dd, const fovea_conv_plan &pw,
                const fovea_conv_desc &pd) {
    if (dw.algorithm != FOVEA_CONV_ALGORITHM_DEPTHWISE) return false;
    if (!depthwise_applies(dd) || !gemm_is_pointwise(pd) || pd.groups != 1) return false;
    return pd.batch == dd.batch && pd.in_channels == dd.out_channels && pd.in_size[0] == 1 &&
           pd.in_size[1] == dd.out_size[1] && pd.in_size[2] == dd.out_size[2] && pw.desc.groups == 1;
}

// The pointwise problem over `rows` rows of the intermediate image.
fovea_conv_desc pointwise_block(const fovea_conv_desc &pd, int64_t rows) {
    fovea_conv_desc b = pd;
    b.batch = 1;
    b.in_size[1] = b.out_size[1] = rows;
    return b;
}

size_t per_worker_bytes(const fovea_conv_plan &pw, const fovea_conv_desc &dd, const fovea_conv_desc &pd) {
    const int64_t rows = block_rows(dd);
    size_t gemm = 0;
    fovea_conv_desc b = pointwise_block(pd, rows);
    fovea_conv_plan_workspace_size(&pw, &b, &gemm);
    return round_to_cache_line(size_t(rows * dd.out_size[2] * dd.out_channels) * sizeof(float)) +
           round_to_cache_line(gemm);
}

}  // namespace
}  // namespace fovea::conv

using namespace fovea;

extern "C" fovea_status fovea_conv_separable_workspace_size(const fovea_conv_plan *depthwise,
                                                            const fovea_conv_desc *depthwise_desc,
                                                            const fovea_conv_plan *pointwise,
                                                            const fovea_conv_desc *pointwise_desc, size_t *bytes) {
    return guarded([&] {
        if (!depthwise || !pointwise || !depthwise_desc || !pointwise_desc || !bytes ||
            !conv::compatible(*depthwise, *depthwise_desc, *pointwise, *pointwise_desc))
            return FOVEA_STATUS_INVALID_ARGUMENT;
        *bytes = conv::per_worker_bytes(*pointwise, *depthwise_desc, *pointwise_desc) *
                 size_t(std::max(fovea_threads_get(), 1));
        return FOVEA_STATUS_SUCCESS;
    });
}

extern "C" fovea_status fovea_conv_separable_run(const fovea_conv_plan *depthwise, const fovea_conv_desc *depthwise_desc,
                                                 const fovea_conv_plan *pointwise, const fovea_conv_desc *pointwise_desc,
                                                 const float *x, float *y, void *workspace, size_t workspace_bytes) {
    return guarded([&] {
        if (!depthwise || !pointwise || !depthwise_desc || !pointwise_desc ||
            !conv::compatible(*depthwise, *depthwise_desc, *pointwise, *pointwise_desc))
            return FOVEA_STATUS_INVALID_ARGUMENT;
        const fovea_conv_desc &dd = *depthwise_desc, &pd = *pointwise_desc;
        const size_t per_worker = conv::per_worker_bytes(*pointwise, dd, pd);
        if (workspace_bytes < per_worker) return FOVEA_STATUS_INSUFFICIENT_WORKSPACE;
        const int32_t workers = int32_t(std::max<size_t>(1, workspace_bytes / per_worker));
        const int64_t rows = conv::block_rows(dd);
        const int64_t blocks_per_image = (dd.out_size[1] + rows - 1) / rows;
        const int64_t row_floats = dd.out_size[2] * dd.out_channels;
        const int64_t out_row_floats = pd.out_size[2] * pd.out_channels;
        const int64_t in_image = dd.in_size[1] * dd.in_size[2] * dd.in_channels;
        std::atomic<int> failure{FOVEA_STATUS_SUCCESS};
        parallel_for_workers(dd.batch * blocks_per_image, 1, workers, [&](int64_t begin, int64_t end, int32_t worker) {
            char *base = static_cast<char *>(workspace) + size_t(worker) * per_worker;
            float *middle = reinterpret_cast<float *>(base);
            const size_t middle_bytes = round_to_cache_line(size_t(rows * row_floats) * sizeof(float));
            for (int64_t b = begin; b < end; ++b) {
                const int64_t n = b / blocks_per_image, first = (b % blocks_per_image) * rows;
                const int64_t count = std::min(rows, dd.out_size[1] - first);
                // Depthwise rows [first, first + count) of image n into the buffer.
                fovea_conv_desc one = dd;
                one.batch = 1;
                conv::Problem p = conv::make_problem(one);
                p.d.activation = depthwise->desc.activation;
                conv::run_depthwise_rows(*depthwise, p, x + n * in_image, middle, first, first + count);
                const fovea_conv_desc block = conv::pointwise_block(pd, count);
                const fovea_status status = fovea_conv_plan_run(
                    pointwise, &block, middle, y + (n * pd.out_size[1] + first) * out_row_floats,
                    base + middle_bytes, per_worker - middle_bytes);
                if (status != FOVEA_STATUS_SUCCESS) failure.store(status);
            }
        });
        return static_cast<fovea_status>(failure.load());
    });
}
