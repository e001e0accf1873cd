// Direct convolution as an implicit GEMM: no im2col copy. The input is
// zero-padded once per image (only when the layer pads), after which every
// output row of a tile reads its window at a fixed stride from the padded
// input, and each kernel tap is a pointer offset handed to the microkernel.
// With groups == 1 and no horizontal dilation, a kernel row's kw * C values are
// contiguous in NHWC, so a whole kernel row is one tap.
#include <algorithm>
#include <cstring>

#include "conv/conv_plan.h"
#include "threadpool/threadpool.h"

namespace fovea::conv {
namespace {

struct PaddedInput {
    int64_t size[3];  // depth, height, width of the padded image
    bool copy;        // false: the input is used as it is
};

PaddedInput padded_input(const Problem &p) {
    const fovea_conv_desc &d = p.d;
    PaddedInput padded{{1, 1, 1}, false};
    for (int a = 0; a < 3; ++a) {
        const int64_t needed = (d.out_size[a] - 1) * d.stride[a] + (d.kernel[a] - 1) * d.dilation[a] + 1;
        padded.size[a] = std::max(needed, d.pad_begin[a] + d.in_size[a]);
        if (d.pad_begin[a] != 0 || padded.size[a] != d.in_size[a]) padded.copy = true;
    }
    return padded;
}

// Writes image x into the padded buffer, zeros around it.
void pad_image(const Problem &p, const PaddedInput &padded, const float *x, float *out) {
    const fovea_conv_desc &d = p.d;
    const int64_t channels = d.in_channels;
    const int64_t row = padded.size[2] * channels;
    const int64_t rows = padded.size[0] * padded.size[1];
    parallel_for(rows, grain_for(rows, 8), [&](int64_t begin, int64_t end) {
        for (int64_t r = begin; r < end; ++r) {
            float *dst = out + r * row;
            const int64_t z = r / padded.size[1] - d.pad_begin[0];
            const int64_t y = r % padded.size[1] - d.pad_begin[1];
            if (z < 0 || z >= d.in_size[0] || y < 0 || y >= d.in_size[1]) {
                std::memset(dst, 0, row * sizeof(float));
                continue;
            }
            const int64_t left = d.pad_begin[2] * channels;
            const int64_t width = d.in_size[2] * channels;
            std::memset(dst, 0, left * sizeof(float));
            std::memcpy(dst + left, x + (z * d.in_size[1] + y) * width, width * sizeof(float));
            std::memset(dst + left + width, 0, (row - left - width) * sizeof(float));
        }
    });
}

}  // namespace

size_t direct_workspace_size(const fovea_conv_plan &, const Problem &p) {
    const PaddedInput padded = padded_input(p);
    if (!padded.copy) return 0;
    return round_to_cache_line(size_t(padded.size[0] * padded.size[1] * padded.size[2]) *
                               size_t(p.d.in_channels) * sizeof(float));
}

namespace {

// The kernel columns [lo, hi) of an output column that land on the image:
// outside it they would multiply the zero padding.
struct ColumnTaps {
    int64_t lo, hi;
};

ColumnTaps column_taps(const fovea_conv_desc &d, int64_t ow) {
    const int64_t left = ow * d.stride[2] - d.pad_begin[2];
    return {std::clamp<int64_t>(-left, 0, d.kernel[2]), std::clamp<int64_t>(d.in_size[2] - left, 0, d.kernel[2])};
}

// Kernel rows [first, last) that reach the image for every output row in
// [oh_begin, oh_end): rows wholly in the top or bottom padding add nothing.
void live_kernel_rows(const fovea_conv_desc &d, int64_t oh_begin, int64_t oh_end, int64_t &first, int64_t &last) {
    first = 0, last = d.kernel[1];
    if (d.kernel[0] != 1) return;  // 3-D: a tap spans depth too
    const int64_t top_of_last = (oh_end - 1) * d.stride[1] - d.pad_begin[1];
    const int64_t top_of_first = oh_begin * d.stride[1] - d.pad_begin[1];
    while (first < last && top_of_last + first * d.dilation[1] < 0) ++first;
    while (last > first && top_of_first + (last - 1) * d.dilation[1] >= d.in_size[1]) --last;
}

// A small map (the last stages of ResNet-50 and dlib's face network: 4x4
// to 8x8 pixels) gives each panel of weights a handful of short calls (an
// interior row of a 4x4 map is two pixels), and each call reads the whole
// panel, hundreds of KB, from L2, at a few FMAs per line; the panel's first
// call reads it from L3. Such maps go over each panel slice by slice instead
// (half of L1's worth of a kernel row's weights at a time: slice_depth),
// every tile taking the slice while it is in L1 and keeping its partial sums
// in the output, so that the panel comes over once.
constexpr int64_t kSlicedPixels = 8 * 8;

bool goes_by_slices(const Problem &p, int64_t depth, int nr) {
    const fovea_conv_desc &d = p.d;
    return d.groups == 1 && d.dilation[2] == 1 && d.kernel[0] == 1 && d.out_size[0] == 1 &&
           d.out_size[1] * d.out_size[2] <= kSlicedPixels &&
           depth * nr * int64_t(sizeof(float)) > kL1PanelBytes;
}

// One tile of a sliced run: its rows of input and output and the part of
// the kernel that reaches the image.
struct SliceTile {
    const float *a;  // input of the tile's first pixel at kernel row 0, column 0
    int64_t a_row_stride;
    float *c;  // output of that pixel, channel 0
    int64_t ldc, m;
    int64_t first_row, last_row;  // kernel rows that reach the image
    int64_t lo, hi;               // the part of a kernel row's kc values that does
};

// The calls of one image's tiles, slice by slice of each panel (groups == 1).
// A tile's sums go through the same slices in the same order whichever
// thread takes it: results do not depend on the thread count.
void run_sliced(const fovea_conv_plan &plan, const Problem &p, const gemm::UkernelInfo &ukernel,
                const std::vector<SliceTile> &tiles, const std::vector<int64_t> &taps, int64_t kc) {
    const fovea_conv_desc &d = p.d;
    const int nr = ukernel.nr;
    const int64_t K = d.out_channels, depth = p.kernel_volume * p.in_channels_per_group;
    const int64_t panels = (K + nr - 1) / nr;
    const int64_t slice = slice_depth(nr);
    const bool finish = finishes_tiles(p);
    // Each panel is one item, unless there are fewer panels than threads:
    // then its tiles are shared out too (and the panel read once per share).
    const int64_t count = int64_t(tiles.size());
    const int64_t shares = std::min<int64_t>(count, (std::max(fovea_threads_get(), 1) + panels - 1) / panels);
    parallel_for(panels * shares, 1, [&](int64_t begin, int64_t end) {
        gemm::UkernelArgs args{};
        args.taps = 1;
        args.activation = d.activation;
        for (int64_t item = begin; item < end; ++item) {
            const int64_t j = item / shares, share = item % shares;
            const int64_t t0 = share * count / shares, t1 = (share + 1) * count / shares;
            const float *panel = plan.packed.data() + j * depth * nr;
            const float *bias = plan.bias.empty() ? nullptr : plan.packed_bias.data() + j * nr;
            args.n = std::min<int64_t>(nr, K - j * nr);
            // Tiles that no kernel tap reaches are their bias and activation.
            for (int64_t t = t0; t < t1; ++t) {
                const SliceTile &tile = tiles[size_t(t)];
                if (tile.first_row < tile.last_row && tile.lo < tile.hi) continue;
                args.a = tile.a, args.a_row_stride = tile.a_row_stride, args.kc = 0, args.b = panel;
                args.c = tile.c + j * nr, args.ldc = tile.ldc, args.m = tile.m;
                args.bias = bias, args.accumulate = 0, args.finish = 1, args.residual = nullptr;
                const bool added = fuse_residual(plan, p, args);
                ukernel.kernel(args);
                if (finish) finish_tile(p, added, args.c, args.m, args.n, args.ldc);
            }
            for (int64_t row = 0; row < d.kernel[1]; ++row)
                for (int64_t from = 0; from < kc; from += slice) {
                    const int64_t to = std::min(kc, from + slice);
                    // The next slice (this row's, or the next row's first; they
                    // follow each other in the panel), fetched a share per call
                    // while this one computes.
                    const float *next = panel + (row * kc + to) * nr;
                    const int64_t next_depth = to < kc ? std::min(kc - to, slice)
                                               : row + 1 < d.kernel[1] ? std::min(kc, slice)
                                                                       : 0;
                    const int64_t next_lines = next_depth * nr / 16;
                    int64_t calls = 0;
                    for (int64_t t = t0; t < t1; ++t) {
                        const SliceTile &tile = tiles[size_t(t)];
                        calls += row >= tile.first_row && row < tile.last_row && tile.lo < to && tile.hi > from;
                    }
                    for (int64_t t = t0, call = 0; t < t1; ++t) {
                        const SliceTile &tile = tiles[size_t(t)];
                        const int64_t lo = std::max(from, tile.lo), hi = std::min(to, tile.hi);
                        if (row < tile.first_row || row >= tile.last_row || lo >= hi) continue;
                        args.a = tile.a + taps[size_t(row)] + lo;
                        args.a_row_stride = tile.a_row_stride;
                        args.b = panel + (row * kc + lo) * nr;
                        args.kc = hi - lo;
                        args.c = tile.c + j * nr;
                        args.ldc = tile.ldc;
                        args.m = tile.m;
                        args.bias = bias;
                        args.accumulate = row > tile.first_row || lo > tile.lo;
                        args.finish = row + 1 == tile.last_row && hi == tile.hi;
                        args.residual = nullptr;
                        gemm::share_prefetch(args, next, next_lines, call++, calls);
                        const bool added = args.finish && fuse_residual(plan, p, args);
                        ukernel.kernel(args);
                        if (args.finish && finish) finish_tile(p, added, args.c, args.m, args.n, args.ldc);
                    }
                }
        }
    });
}

}  // namespace

void run_direct(const fovea_conv_plan &plan, const Problem &p, const float *x, float *y,
                void *workspace) {
    const fovea_conv_desc &d = p.d;
    const PaddedInput padded = padded_input(p);
    const int64_t C = d.in_channels, K = d.out_channels;
    const int64_t Cg = p.in_channels_per_group, Kg = p.out_channels_per_group;
    const int64_t Hp = padded.size[1], Wp = padded.size[2];
    const gemm::UkernelInfo ukernel = run_ukernel(plan, p);
    const int mr = ukernel.mr, nr = ukernel.nr;
    const bool merged = d.groups == 1 && d.dilation[2] == 1;

    std::vector<int64_t> taps;
    for (int64_t kd = 0; kd < d.kernel[0]; ++kd)
        for (int64_t kh = 0; kh < d.kernel[1]; ++kh)
            for (int64_t kw = 0; kw < (merged ? 1 : d.kernel[2]); ++kw)
                taps.push_back(((kd * d.dilation[0] * Hp + kh * d.dilation[1]) * Wp + kw * d.dilation[2]) * C);
    const int64_t kc = merged ? d.kernel[2] * C : Cg;
    const int64_t taps_per_row = merged ? 1 : d.kernel[2];
    const int64_t depth = p.kernel_volume * Cg;
    const int64_t panels = (Kg + nr - 1) / nr;
    const int64_t group_width = padded_group_width(plan);
    const int64_t out_h = d.out_size[1], out_w = d.out_size[2];
    const int64_t rows = d.out_size[0] * out_h;
    const bool finish = finishes_tiles(p);

    // Output columns whose window overhangs the left or right edge. When a
    // kernel row is one merged tap, such a column can drop the overhanging
    // kernel columns, but only if every pixel of its tile overhangs alike: the
    // edge columns are computed as tiles running down the column, and the
    // rows' tiles cover just the interior [left_edge, right_edge).
    int64_t left_edge = 0, right_edge = out_w;
    if (merged && d.kernel[0] == 1) {
        auto overhangs = [&](int64_t ow) {
            const ColumnTaps c = column_taps(d, ow);
            return c.lo > 0 || c.hi < d.kernel[2];
        };
        while (left_edge < out_w && overhangs(left_edge)) ++left_edge;
        while (right_edge > left_edge && overhangs(right_edge - 1)) --right_edge;
    }
    const int64_t edge_columns = left_edge + (out_w - right_edge);
    const EvenCalls row_calls(right_edge - left_edge, mr);
    const int64_t column_tiles = d.out_size[0] * ((out_h + mr - 1) / mr);
    const int64_t items_per_panel = (right_edge > left_edge ? rows : 0) + edge_columns * column_tiles;

    const bool sliced = goes_by_slices(p, depth, nr);
    std::vector<SliceTile> tiles;
    for (int64_t n = 0; n < d.batch; ++n) {
        const float *xp = x + n * p.in_image;
        if (padded.copy) {
            pad_image(p, padded, xp, static_cast<float *>(workspace));
            xp = static_cast<const float *>(workspace);
        }
        float *yn = y + n * p.out_image;
        if (sliced) {
            // The same tiles as below: rows' interiors, then edge columns.
            tiles.clear();
            for (int64_t oh = 0; oh < out_h && right_edge > left_edge; ++oh) {
                SliceTile tile{};
                live_kernel_rows(d, oh, oh + 1, tile.first_row, tile.last_row);
                tile.a_row_stride = d.stride[2] * C, tile.ldc = K, tile.lo = 0, tile.hi = kc;
                for (int64_t ow = left_edge, call = 0; ow < right_edge; ow += tile.m, ++call) {
                    tile.a = xp + (oh * d.stride[1] * Wp + ow * d.stride[2]) * C;
                    tile.c = yn + (oh * out_w + ow) * K;
                    tile.m = row_calls.rows(call);
                    tiles.push_back(tile);
                }
            }
            for (int64_t e = 0; e < edge_columns; ++e) {
                const int64_t ow = e < left_edge ? e : right_edge + (e - left_edge);
                const ColumnTaps live = column_taps(d, ow);
                for (int64_t oh = 0; oh < out_h; oh += mr) {
                    SliceTile tile{};
                    tile.m = std::min<int64_t>(mr, out_h - oh);
                    live_kernel_rows(d, oh, oh + tile.m, tile.first_row, tile.last_row);
                    tile.a = xp + (oh * d.stride[1] * Wp + ow * d.stride[2]) * C;
                    tile.a_row_stride = d.stride[1] * Wp * C;
                    tile.c = yn + (oh * out_w + ow) * K;
                    tile.ldc = out_w * K;
                    tile.lo = live.lo * C, tile.hi = live.hi * C;
                    tiles.push_back(tile);
                }
            }
            run_sliced(plan, p, ukernel, tiles, taps, kc);
            continue;
        }
        // One loop over (group, panel, output row or edge-column tile),
        // panel-major: consecutive items share a panel of weights, which stays
        // in cache, and the whole image is one parallel loop, balanced across
        // threads even when it has few rows.
        const int64_t items = d.groups * panels * items_per_panel;
        parallel_for(items, grain_for(items, 1), [&](int64_t begin, int64_t end) {
            gemm::UkernelArgs args{};
            args.b_tap_stride = kc * nr;
            args.finish = 1;
            args.activation = d.activation;
            for (int64_t item = begin; item < end; ++item) {
                int64_t i = item % items_per_panel;
                const int64_t j = (item / items_per_panel) % panels, g = item / (items_per_panel * panels);
                const float *panel = plan.packed.data() + (g * panels + j) * depth * nr;
                args.n = std::min<int64_t>(nr, Kg - j * nr);
                args.bias = plan.bias.empty() ? nullptr : plan.packed_bias.data() + g * group_width + j * nr;
                const int64_t channel = g * Kg + j * nr;
                if (right_edge > left_edge && i < rows) {
                    // An output row's interior, in tiles along the row.
                    const int64_t od = i / out_h, oh = i % out_h;
                    const float *origin = xp + ((od * d.stride[0] * Hp + oh * d.stride[1]) * Wp) * C + g * Cg;
                    int64_t first_row, last_row;
                    live_kernel_rows(d, oh, oh + 1, first_row, last_row);
                    args.tap_offsets = taps.data() + first_row * taps_per_row;
                    args.taps = d.kernel[0] == 1 ? (last_row - first_row) * taps_per_row : int64_t(taps.size());
                    args.b = panel + first_row * taps_per_row * kc * nr;
                    args.kc = kc;
                    args.a_row_stride = d.stride[2] * C;
                    args.ldc = K;
                    float *out_row = yn + i * out_w * K + channel;
                    for (int64_t ow = left_edge, call = 0; ow < right_edge; ow += args.m, ++call) {
                        args.a = origin + ow * d.stride[2] * C;
                        args.c = out_row + ow * K;
                        args.m = row_calls.rows(call);
                        const bool added = fuse_residual(plan, p, args);
                        ukernel.kernel(args);
                        if (finish) finish_tile(p, added, args.c, args.m, args.n, args.ldc);
                    }
                    continue;
                }
                // A tile running down an edge column, over its live kernel columns only.
                if (right_edge > left_edge) i -= rows;
                const int64_t e = i / column_tiles, tile = i % column_tiles;
                const int64_t ow = e < left_edge ? e : right_edge + (e - left_edge);
                const int64_t tiles_per_depth = (out_h + mr - 1) / mr;
                const int64_t od = tile / tiles_per_depth, oh = (tile % tiles_per_depth) * mr;
                const ColumnTaps live = column_taps(d, ow);
                int64_t first_row, last_row;
                args.m = std::min<int64_t>(mr, out_h - oh);
                live_kernel_rows(d, oh, oh + args.m, first_row, last_row);
                args.tap_offsets = taps.data() + first_row;
                args.taps = live.hi > live.lo ? last_row - first_row : 0;
                args.kc = (live.hi - live.lo) * C;
                args.b = panel + (first_row * kc + live.lo * C) * nr;
                args.a = xp + ((od * d.stride[0] * Hp + oh * d.stride[1]) * Wp + ow * d.stride[2] + live.lo) * C;
                args.a_row_stride = d.stride[1] * Wp * C;
                args.ldc = out_w * K;
                args.c = yn + ((od * out_h + oh) * out_w + ow) * K + channel;
                const bool added = fuse_residual(plan, p, args);
                ukernel.kernel(args);
                if (finish) finish_tile(p, added, args.c, args.m, args.n, args.ldc);
            }
        });
    }
}

}  // namespace fovea::conv
