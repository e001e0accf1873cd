// Convolution as GEMM. A pointwise (1x1, stride 1, unpadded) convolution is
// one GEMM over all pixels of the batch with no copy at all; a strided 1x1
// convolution (ResNet's projection shortcuts) first gathers the pixels it
// reads into one matrix and is then the same GEMM; any other shape copies
// blocks of im2col rows into each thread's slice of the workspace and
// multiplies them (the general fallback).
#include <algorithm>
#include <cstring>

#include "conv/conv_plan.h"
#include "dispatch/dispatch.h"
#include "threadpool/threadpool.h"

namespace fovea::conv {
namespace {

// im2col rows per block: a whole number of microkernel tiles, up to eight of
// them, but small enough for every thread to get several blocks of a small image.
int64_t block_rows(const fovea_conv_plan &plan, const Problem &p) {
    const int64_t mr = run_ukernel(plan, p).mr;
    const int64_t pixels = p.d.batch * p.d.out_size[0] * p.d.out_size[1] * p.d.out_size[2];
    const int64_t share = (pixels + 4 * fovea_threads_hardware() - 1) / (4 * fovea_threads_hardware());
    return std::max<int64_t>(mr, std::min<int64_t>(8 * mr, (share + mr - 1) / mr * mr));
}

}  // namespace

bool gemm_is_pointwise(const fovea_conv_desc &d) {
    for (int a = 0; a < 3; ++a)
        if (d.kernel[a] != 1 || d.stride[a] != 1 || d.pad_begin[a] != 0 || d.pad_end[a] != 0 ||
            d.in_size[a] != d.out_size[a])
            return false;
    return true;
}

bool gemm_is_subsampling(const fovea_conv_desc &d) {
    for (int a = 0; a < 3; ++a)
        if (d.kernel[a] != 1 || d.pad_begin[a] != 0 || d.pad_end[a] != 0 ||
            d.in_size[a] < (d.out_size[a] - 1) * d.stride[a] + 1)
            return false;
    return !gemm_is_pointwise(d);
}

namespace {

size_t gathered_bytes(const Problem &p) {
    return round_to_cache_line(size_t(p.d.batch * p.d.out_size[0] * p.d.out_size[1] * p.d.out_size[2]) *
                               size_t(p.d.in_channels) * sizeof(float));
}

// The input pixels a strided 1x1 convolution reads, as [batch * pixels, C].
void gather_pixels(const Problem &p, const float *x, float *out) {
    const fovea_conv_desc &d = p.d;
    const int64_t C = d.in_channels;
    const int64_t rows = d.batch * d.out_size[0] * d.out_size[1];
    parallel_for(rows, grain_for(rows, 8), [&](int64_t begin, int64_t end) {
        for (int64_t r = begin; r < end; ++r) {
            const int64_t oh = r % d.out_size[1], od = (r / d.out_size[1]) % d.out_size[0];
            const int64_t n = r / (d.out_size[1] * d.out_size[0]);
            const float *src = x + n * p.in_image +
                               ((od * d.stride[0] * d.in_size[1] + oh * d.stride[1]) * d.in_size[2]) * C;
            float *dst = out + r * d.out_size[2] * C;
            for (int64_t ow = 0; ow < d.out_size[2]; ++ow)
                std::memcpy(dst + ow * C, src + ow * d.stride[2] * C, size_t(C) * sizeof(float));
        }
    });
}

}  // namespace

size_t gemm_workspace_size(const fovea_conv_plan &plan, const Problem &p, bool minimum) {
    if (gemm_is_pointwise(p.d)) return 0;
    if (gemm_is_subsampling(p.d)) return gathered_bytes(p);
    const size_t per_worker = round_to_cache_line(
        size_t(block_rows(plan, p)) * size_t(p.kernel_volume * p.in_channels_per_group) * sizeof(float));
    return per_worker * size_t(minimum ? 1 : std::max(fovea_threads_get(), 1));
}

void im2col_rows(const Problem &p, const float *xn, int64_t first, int64_t rows, int64_t g, float *columns) {
    const fovea_conv_desc &d = p.d;
    const int64_t C = d.in_channels, Cg = p.in_channels_per_group;
    const int64_t depth = p.kernel_volume * Cg;
    // One row per output pixel: taps in (kd, kh, kw) order, Cg channels each.
    for (int64_t r = 0; r < rows; ++r) {
        const int64_t pixel = first + r;
        const int64_t ow = pixel % d.out_size[2];
        const int64_t oh = (pixel / d.out_size[2]) % d.out_size[1];
        const int64_t od = pixel / (d.out_size[2] * d.out_size[1]);
        float *dst = columns + r * depth;
        for (int64_t kd = 0; kd < d.kernel[0]; ++kd) {
            const int64_t iz = od * d.stride[0] - d.pad_begin[0] + kd * d.dilation[0];
            for (int64_t kh = 0; kh < d.kernel[1]; ++kh) {
                const int64_t iy = oh * d.stride[1] - d.pad_begin[1] + kh * d.dilation[1];
                const int64_t left = ow * d.stride[2] - d.pad_begin[2];
                const int64_t right = left + (d.kernel[2] - 1) * d.dilation[2];
                if (Cg == C && d.dilation[2] == 1 && left >= 0 && right < d.in_size[2] && iz >= 0 &&
                    iz < d.in_size[0] && iy >= 0 && iy < d.in_size[1]) {
                    // The whole kernel row lies in the image and is contiguous in NHWC: one copy.
                    // A loop rather than memcpy: rows are often a few floats (one input channel).
                    const float *src = xn + ((iz * d.in_size[1] + iy) * d.in_size[2] + left) * C;
                    for (int64_t i = 0; i < d.kernel[2] * C; ++i) dst[i] = src[i];
                    dst += d.kernel[2] * C;
                    continue;
                }
                for (int64_t kw = 0; kw < d.kernel[2]; ++kw, dst += Cg) {
                    const int64_t ix = ow * d.stride[2] - d.pad_begin[2] + kw * d.dilation[2];
                    if (iz < 0 || iz >= d.in_size[0] || iy < 0 || iy >= d.in_size[1] || ix < 0 || ix >= d.in_size[2]) {
                        std::memset(dst, 0, Cg * sizeof(float));
                    } else {
                        std::memcpy(dst, xn + ((iz * d.in_size[1] + iy) * d.in_size[2] + ix) * C + g * Cg,
                                    Cg * sizeof(float));
                    }
                }
            }
        }
    }
}

void run_gemm(const fovea_conv_plan &plan, const Problem &p, const float *x, float *y,
              void *workspace, size_t workspace_bytes) {
    const fovea_conv_desc &d = p.d;
    const int64_t C = d.in_channels, K = d.out_channels;
    const int64_t Cg = p.in_channels_per_group, Kg = p.out_channels_per_group;
    const gemm::UkernelInfo ukernel = run_ukernel(plan, p);
    const int mr = ukernel.mr, nr = ukernel.nr;
    const int64_t depth = p.kernel_volume * Cg;
    const int64_t panels = (Kg + nr - 1) / nr;
    const int64_t group_width = padded_group_width(plan);
    const int64_t pixels = d.out_size[0] * d.out_size[1] * d.out_size[2];
    const bool finish = finishes_tiles(p);
    const int64_t l2 = cpu_l2_bytes() > 0 ? cpu_l2_bytes() : int64_t(1) << 20;
    // The next tile's output lines are fetched where a call is long enough
    // to hide the fetch or the output is too large to be in cache already.
    // Short calls into a cached output (MobileNetV2's expansions, which its
    // fused blocks run a few rows at a time) lost more to the fetching than
    // it saved: Emerald Rapids, one thread, in core cycles, 24 -> 144 on
    // 56x56 566-609 -> 547-564 thousand, 32 -> 192 on 28x28 179-210 ->
    // 156-178, 16 -> 96 on 28x28 69-72 -> 61-63; but 16 -> 96 on 112x112
    // (a 4.8 MB output) 1.33-1.40 -> 1.45-1.57 million without it.
    const bool fetch_output = depth >= 64 || d.batch * pixels * K * int64_t(sizeof(float)) > l2;

    // `stream`: the weights come from memory, panel after panel (see
    // gemm::kPrefetchingCalls). `fetch_rows`: the rows of A are read here for
    // the first time; each call fetches the next tile's rows (contiguous when
    // a_stride is the depth). On a Zen 2 core, ResNet's 256->64 1x1 on 56x56
    // took 1.82-1.84 ms with its input cold and 1.38-1.40 so; fetching rows
    // that later panels read again from L2 or L3 (the panel-major order)
    // cost 15 %, and is not done.
    // Calls [first_call, end_call) of `calls`, the even split of rows that a
    // and c start: tiles of mr rows would leave 49 pixels (a 7x7 map) a last
    // call of one row at 12 rows per tile, at a third of the FMA rate.
    // `ahead`, `ahead_lines`: lines for the calls to fetch where they fetch
    // neither weights nor rows of A.
    auto multiply = [&](const float *a, int64_t a_stride, const EvenCalls &calls, int64_t first_call,
                        int64_t end_call, float *c, int64_t g, int64_t j, bool stream = false,
                        bool fetch_rows = false, const float *ahead = nullptr, int64_t ahead_lines = 0) {
        gemm::UkernelArgs args{};
        args.a_row_stride = a_stride;
        args.taps = 1;
        args.kc = depth;
        args.b = plan.packed.data() + (g * panels + j) * depth * nr;
        args.ldc = K;
        args.n = std::min<int64_t>(nr, Kg - j * nr);
        args.bias = plan.bias.empty() ? nullptr : plan.packed_bias.data() + g * group_width + j * nr;
        args.finish = 1;
        args.activation = d.activation;
        const int64_t panel_lines = (depth * nr + 15) / 16, count = end_call - first_call;
        const bool aids = gemm::streaming_aids_pay(plan.isa);
        stream = stream && aids && count <= gemm::kPrefetchingCalls && g * panels + j + 1 < d.groups * panels;
        fetch_rows = fetch_rows && aids;
        // A kernel that takes many rows (UkernelInfo::tiles) gets all the
        // calls' rows at once and fetches what they would each fetch over its
        // whole depth loop.
        const int64_t step = ukernel.tiles ? count : 1;
        args.fetch_output = fetch_output;
        for (int64_t call = first_call; call < end_call; call += step) {
            const int64_t next = call + step, i = calls.first(call);
            if (stream) {
                gemm::share_prefetch(args, args.b + depth * nr, panel_lines, call - first_call, count, step);
            } else if (fetch_rows && a_stride == depth) {
                const int64_t from = calls.first(call + 1), to = calls.first(std::min(next + 1, calls.calls));
                args.prefetch = a + from * a_stride;
                args.prefetch_lines = (to - from) * depth / 16;
            } else if (ahead) {
                gemm::share_prefetch(args, ahead, ahead_lines, call - first_call, count, step);
            }
            args.a = a + i * a_stride;
            args.c = c + i * K + j * nr;
            args.m = calls.first(next) - i;
            if (fetch_output && next < end_call) prefetch_tile(p, args.c + args.m * K, calls.rows(next), args.n, K);
            const bool added = fuse_residual(plan, p, args);
            ukernel.kernel(args);
            if (finish) finish_tile(p, added, args.c, args.m, args.n, K);
        }
    };

    const bool subsampling = gemm_is_subsampling(d);
    if (subsampling || gemm_is_pointwise(d)) {
        // The whole batch is one matrix [batch * pixels, C].
        if (subsampling) {
            gather_pixels(p, x, static_cast<float *>(workspace));
            x = static_cast<const float *>(workspace);
        }
        const int64_t rows = d.batch * pixels;
        const EvenCalls calls(rows, mr);
        const int64_t tiles = calls.calls;
        if (size_t(d.groups * panels * depth * nr) * sizeof(float) <= (size_t(256) << 10)) {
            // Small weights (few input channels: MobileNet's expansions) stay in
            // cache whatever the order, and the output is the traffic that
            // matters: tile-major, so each output row is written whole, once.
            // A residual's rows for the next block of tiles are whole rows, one
            // contiguous run, which the panels' calls after the first fetch a
            // share each (the first fetches the next block's rows of A): the
            // per-tile fetch inside a call reads them a row at a time, 1 KB
            // apart at 256 channels. Zen 3, one thread, fewest core cycles of
            // six interleaved rounds, residual and weights flushed: ResNet-50's
            // 64->256 on 56x56 6.26 -> 4.45 million, 128->512 on 28x28 4.76 ->
            // 4.07; with everything in L3, 4.16 -> 4.30 and 3.89 -> 3.91.
            parallel_for(tiles, grain_for(tiles, 4), [&](int64_t begin, int64_t end) {
                for (int64_t g = 0; g < d.groups; ++g)
                    for (int64_t t = begin; t < end; t += 8) {
                        const int64_t t_end = std::min(end, t + 8);
                        const float *ahead = nullptr;
                        int64_t lines = 0;
                        if (p.residual && d.groups == 1 && panels > 1) {
                            const int64_t first = calls.first(t_end);
                            ahead = p.residual + (y - p.output) + first * K;
                            lines = (calls.first(std::min(calls.calls, t_end + 8)) - first) * K / 16;
                        }
                        for (int64_t j = 0; j < panels; ++j) {
                            const int64_t from = j > 0 ? (j - 1) * lines / (panels - 1) : 0;
                            const int64_t to = j > 0 ? j * lines / (panels - 1) : 0;
                            multiply(x + g * Cg, C, calls, t, t_end, y + g * Kg, g, j, false, j == 0,
                                     ahead ? ahead + from * 16 : nullptr, to - from);
                        }
                    }
            });
            return;
        }
        // Otherwise one loop over (group, panel, tile), panel-major (see conv_direct.cpp).
        const int64_t items = d.groups * panels * tiles;
        parallel_for(items, grain_for(items, 4), [&](int64_t begin, int64_t end) {
            for (int64_t item = begin; item < end;) {
                const int64_t t = item % tiles, j = (item / tiles) % panels, g = item / (tiles * panels);
                const int64_t run = std::min(end - item, tiles - t);  // tiles of this panel in the chunk
                multiply(x + g * Cg, C, calls, t, t + run, y + g * Kg, g, j, true);
                item += run;
            }
        });
        return;
    }

    const int64_t block = block_rows(plan, p);
    const size_t per_worker = round_to_cache_line(size_t(block) * size_t(depth) * sizeof(float));
    const int32_t workers = int32_t(std::max<size_t>(1, workspace_bytes / per_worker));
    const int64_t blocks_per_image = (pixels + block - 1) / block;
    const int64_t blocks = d.batch * blocks_per_image;
    parallel_for_workers(blocks, 1, workers, [&](int64_t begin, int64_t end, int32_t worker) {
        float *columns = reinterpret_cast<float *>(static_cast<char *>(workspace) + worker * per_worker);
        for (int64_t b = begin; b < end; ++b) {
            const int64_t n = b / blocks_per_image;
            const int64_t first = (b % blocks_per_image) * block;
            const int64_t rows = std::min(block, pixels - first);
            const float *xn = x + n * p.in_image;
            float *yn = y + n * p.out_image + first * K;
            for (int64_t g = 0; g < d.groups; ++g) {
                im2col_rows(p, xn, first, rows, g, columns);
                const EvenCalls calls(rows, mr);
                for (int64_t j = 0; j < panels; ++j)
                    multiply(columns, depth, calls, 0, calls.calls, yn + g * Kg, g, j);
            }
        }
    });
}

}  // namespace fovea::conv
