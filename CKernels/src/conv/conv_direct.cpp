// Direct convolution as an implicit GEMM: no im2col copy. The input is
// zero-padded once per image (only when the layer pads), after which every
// output row of a tile reads its window at a fixed stride from the padded
// input, and each kernel tap is a pointer offset handed to the microkernel.
// With groups == 1 and no horizontal dilation, a kernel row's kw * C values are
// contiguous in NHWC, so a whole kernel row is one tap. Only maps of a few
// pixels whose tiles would come out short copy their windows (see "windows").
#include <algorithm>
#include <cstring>
#include <vector>

#include "conv/conv_plan.h"
#include "dispatch/dispatch.h"
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
    return d.groups == 1 && d.dilation[2] == 1 && d.kernel[0] == 1 && d.out_size[0] == 1 && d.out_channels > 0 &&
           d.out_size[1] * d.out_size[2] <= kSlicedPixels &&
           depth * nr * int64_t(sizeof(float)) > kL1PanelBytes;
}

// One microkernel call's share of an image: its pixels in the input and the
// output, and the part of the kernel that reaches the image for all of them.
struct Tile {
    int64_t a;             // padded input offset of the first pixel's window (kernel row 0, column 0)
    int64_t a_row_stride;  // floats between the tile's pixels in the input
    int64_t c;             // output offset of the first pixel, channel 0
    int64_t ldc, m;        // floats between the tile's pixels in the output, and how many
    int64_t first_row, last_row;  // kernel rows that reach the image
    int64_t lo, hi;               // the values of a kernel row's kc that do

    // Whether `next` takes up where this tile ends (the next pixels along an
    // output row, the same part of the kernel): the two can be one call.
    bool continued_by(const Tile &next) const {
        return next.a == a + m * a_row_stride && next.c == c + m * ldc && next.a_row_stride == a_row_stride &&
               next.ldc == ldc && next.first_row == first_row && next.last_row == last_row && next.lo == lo &&
               next.hi == hi;
    }
};

// The tiles of one image, numbered: every output row's interior in calls
// along the row, then the edge columns in tiles running down the column.
//
// Output columns whose window overhangs the left or right edge: when a
// kernel row is one merged tap (kernel_width * C contiguous values), such a
// column can drop the overhanging kernel columns, but only if every pixel of
// its tile overhangs alike. So edge columns are tiles down the column, and the
// rows' tiles cover just the interior [left_edge, right_edge).
class TileGrid {
public:
    TileGrid(const Problem &p, int64_t padded_height, int64_t padded_width, int64_t kc, int64_t mr, bool merged)
        : d_(p.d), Hp_(padded_height), Wp_(padded_width), kc_(kc), mr_(mr),
          left_edge_(0), right_edge_(p.d.out_size[2]), row_calls_(0, 1) {
        const int64_t out_w = d_.out_size[2];
        if (merged && d_.kernel[0] == 1) {
            auto overhangs = [&](int64_t ow) {
                const ColumnTaps c = column_taps(d_, ow);
                return c.lo > 0 || c.hi < d_.kernel[2];
            };
            while (left_edge_ < out_w && overhangs(left_edge_)) ++left_edge_;
            while (right_edge_ > left_edge_ && overhangs(right_edge_ - 1)) --right_edge_;
        }
        row_calls_ = EvenCalls(right_edge_ - left_edge_, mr);
        row_tiles_ = d_.out_size[0] * d_.out_size[1] * row_calls_.calls;
        tiles_per_column_ = d_.out_size[0] * ((d_.out_size[1] + mr - 1) / mr);
        edge_columns_ = left_edge_ + (out_w - right_edge_);
    }

    int64_t count() const { return row_tiles_ + edge_columns_ * tiles_per_column_; }

    // Calls f(tile) for tiles [begin, end) in order. Along a row the tiles
    // follow each other without the divisions at() needs: with calls of a few
    // hundred cycles (MobileNet's stem: 27 values deep) those cost a quarter.
    template <class F>
    __attribute__((always_inline)) void visit(int64_t begin, int64_t end, F &&f) const {
        int64_t i = begin;
        if (i < std::min(end, row_tiles_)) {
            int64_t call = i % row_calls_.calls;
            Tile tile = at(i);
            for (;;) {
                f(tile);
                if (++i >= std::min(end, row_tiles_)) break;
                if (++call < row_calls_.calls) {
                    tile.a += tile.m * d_.stride[2] * d_.in_channels;
                    tile.c += tile.m * d_.out_channels;
                    tile.m = row_calls_.rows(call);
                } else {
                    call = 0;
                    tile = at(i);
                }
            }
        }
        for (; i < end; ++i) f(at(i));
    }

    __attribute__((always_inline)) Tile at(int64_t i) const {
        const fovea_conv_desc &d = d_;
        const int64_t C = d.in_channels, K = d.out_channels, out_h = d.out_size[1], out_w = d.out_size[2];
        Tile tile{};
        if (i < row_tiles_) {
            const int64_t row = i / row_calls_.calls, call = i % row_calls_.calls;
            const int64_t od = row / out_h, oh = row % out_h, ow = left_edge_ + row_calls_.first(call);
            live_kernel_rows(d, oh, oh + 1, tile.first_row, tile.last_row);
            tile.a = ((od * d.stride[0] * Hp_ + oh * d.stride[1]) * Wp_ + ow * d.stride[2]) * C;
            tile.a_row_stride = d.stride[2] * C;
            tile.c = (row * out_w + ow) * K;
            tile.ldc = K, tile.m = row_calls_.rows(call);
            tile.lo = 0, tile.hi = kc_;
            return tile;
        }
        i -= row_tiles_;
        const int64_t e = i / tiles_per_column_, t = i % tiles_per_column_;
        const int64_t ow = e < left_edge_ ? e : right_edge_ + (e - left_edge_);
        const int64_t per_depth = (out_h + mr_ - 1) / mr_;
        const int64_t od = t / per_depth, oh = (t % per_depth) * mr_;
        const ColumnTaps live = column_taps(d, ow);
        tile.m = std::min<int64_t>(mr_, out_h - oh);
        live_kernel_rows(d, oh, oh + tile.m, tile.first_row, tile.last_row);
        tile.a = ((od * d.stride[0] * Hp_ + oh * d.stride[1]) * Wp_ + ow * d.stride[2]) * C;
        tile.a_row_stride = d.stride[1] * Wp_ * C;
        tile.c = ((od * out_h + oh) * out_w + ow) * K;
        tile.ldc = out_w * K;
        tile.lo = live.lo * C, tile.hi = live.hi * C;
        return tile;
    }

private:
    const fovea_conv_desc &d_;
    int64_t Hp_, Wp_, kc_, mr_;
    int64_t left_edge_, right_edge_;
    EvenCalls row_calls_;
    int64_t row_tiles_ = 0, tiles_per_column_ = 0, edge_columns_ = 0;
};

// On a small map most tiles are short: a 3x3 map padded by one has one
// interior column, so its rows are 1-pixel tiles, and its two edge columns
// 3-pixel ones; an unpadded map of three columns makes 3-pixel rows. A
// microkernel call of m rows keeps m * v accumulator chains going (v vectors
// a row), and with fewer chains than FMA latency times issue width each depth
// step waits on the one before. Such maps can rather copy each output pixel's
// whole window, padding included, into a row of its own ("windows", an im2col
// of the map): then any pixels make a tile, of mr rows or nearly, at the price
// of multiplying the padding's zeros.
int64_t latency_chains(fovea_isa isa) {
    // 4 cycles of latency, 2 FMAs a cycle; where 512-bit FMAs are split in
    // two halves (Zen 4) one a cycle.
    return isa_allows(isa, FOVEA_ISA_AVX512) && cpu_splits_512bit_fma() ? 4 : 8;
}

int64_t vector_lanes(fovea_isa isa) {
#if defined(__x86_64__)
    if (isa_allows(isa, FOVEA_ISA_AVX512)) return 16;
    if (isa_allows(isa, FOVEA_ISA_AVX2)) return 8;
#elif defined(__aarch64__)
    if (isa_allows(isa, FOVEA_ISA_NEON)) return 4;
#endif
    return 1;
}

// Whether windows take fewer FMA slots than the tiles as they are, counting
// the copy (a vector load and store per `lanes` values). The portable kernel
// has no latency chains to save.
bool packs_windows(const Problem &p, const TileGrid &grid, int64_t depth, const gemm::UkernelInfo &ukernel,
                   fovea_isa isa) {
    const int64_t lanes = vector_lanes(isa);
    if (lanes == 1) return false;
    const int64_t v = (ukernel.nr + lanes - 1) / lanes, chains = latency_chains(isa);
    const auto slots = [&](int64_t m) { return std::max(m * v, chains); };
    int64_t tiled = 0;
    grid.visit(0, grid.count(), [&](const Tile &tile) {
        tiled += (tile.last_row - tile.first_row) * (tile.hi - tile.lo) * slots(tile.m);
    });
    const int64_t pixels = p.d.out_size[1] * p.d.out_size[2];
    const EvenCalls calls(pixels, ukernel.mr);
    int64_t windowed = pixels * depth * 2 / lanes;
    for (int64_t call = 0; call < calls.calls; ++call) windowed += depth * slots(calls.rows(call));
    return windowed < tiled;
}

// The windows' tiles: mr pixels or nearly, one tap of the whole depth.
std::vector<Tile> window_tiles(const Problem &p, int64_t depth, int64_t mr) {
    const int64_t pixels = p.d.out_size[1] * p.d.out_size[2];
    const EvenCalls calls(pixels, mr);
    std::vector<Tile> tiles;
    for (int64_t call = 0; call < calls.calls; ++call) {
        Tile tile{};
        tile.a = calls.first(call) * depth, tile.a_row_stride = depth;
        tile.c = calls.first(call) * p.d.out_channels, tile.ldc = p.d.out_channels;
        tile.m = calls.rows(call);
        tile.first_row = 0, tile.last_row = 1;
        tile.lo = 0, tile.hi = depth;
        tiles.push_back(tile);
    }
    return tiles;
}

// How run_direct goes over one image.
struct DirectLayout {
    PaddedInput padded;
    gemm::UkernelInfo ukernel;
    bool merged;            // a kernel row is one tap (kernel width * C contiguous values)
    int64_t kc, depth;
    bool sliced;            // through run_sliced: slice by slice of each panel (goes_by_slices), or windows
    bool windows;
    size_t padded_bytes, window_bytes;
};

DirectLayout direct_layout(const fovea_conv_plan &plan, const Problem &p) {
    const fovea_conv_desc &d = p.d;
    DirectLayout layout{};
    layout.padded = padded_input(p);
    layout.ukernel = run_ukernel(plan, p);
    layout.merged = d.groups == 1 && d.dilation[2] == 1;
    layout.kc = layout.merged ? d.kernel[2] * d.in_channels : p.in_channels_per_group;
    layout.depth = p.kernel_volume * p.in_channels_per_group;
    const bool small = goes_by_slices(p, layout.depth, layout.ukernel.nr);
    if (small) {
        const TileGrid grid(p, layout.padded.size[1], layout.padded.size[2], layout.kc, layout.ukernel.mr,
                            layout.merged);
        layout.windows = packs_windows(p, grid, layout.depth, layout.ukernel, plan.isa);
    }
    layout.sliced = layout.windows || (small && gemm::streaming_aids_pay(plan.isa));
    const PaddedInput &padded = layout.padded;
    // Windows are copied from the input as it is (im2col_rows pads them).
    layout.padded_bytes =
        padded.copy && !layout.windows ? round_to_cache_line(size_t(padded.size[0] * padded.size[1] * padded.size[2]) *
                                          size_t(d.in_channels) * sizeof(float))
                    : 0;
    layout.window_bytes =
        layout.windows ? round_to_cache_line(size_t(d.out_size[1] * d.out_size[2] * layout.depth) * sizeof(float))
                       : 0;
    return layout;
}

// The calls of one image's tiles, slice by slice of each panel (groups == 1).
// A tile's sums go through the same slices in the same order whichever
// thread takes it: results do not depend on the thread count.
// A tap is a kernel row (kc values of the padded input), or with windows the
// whole depth; slices of at most `slice` values, the next one fetched ahead
// when `prefetch`.
void run_sliced(const fovea_conv_plan &plan, const Problem &p, const gemm::UkernelInfo &ukernel,
                const std::vector<Tile> &tiles, const float *xp, float *yn, const std::vector<int64_t> &taps,
                int64_t kc, int64_t slice, bool prefetch) {
    const fovea_conv_desc &d = p.d;
    const int nr = ukernel.nr;
    const int64_t K = d.out_channels, depth = p.kernel_volume * p.in_channels_per_group;
    const int64_t panels = (K + nr - 1) / nr;
    const int64_t rows = int64_t(taps.size());
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
                const Tile &tile = tiles[size_t(t)];
                if (tile.first_row < tile.last_row && tile.lo < tile.hi) continue;
                args.a = xp + tile.a, args.a_row_stride = tile.a_row_stride, args.kc = 0, args.b = panel;
                args.c = yn + tile.c + j * nr, args.ldc = tile.ldc, args.m = tile.m;
                args.bias = bias, args.accumulate = 0, args.finish = 1, args.residual = nullptr;
                const bool added = fuse_residual(plan, p, args);
                ukernel.kernel(args);
                if (finish) finish_tile(p, added, args.c, args.m, args.n, args.ldc);
            }
            for (int64_t row = 0; row < rows; ++row)
                for (int64_t from = 0; from < kc; from += slice) {
                    const int64_t to = std::min(kc, from + slice);
                    // The next slice (this row's, or the next row's first; they
                    // follow each other in the panel; after the last, the next
                    // item's first), fetched a share per call while this one
                    // computes.
                    const float *next = panel + (row * kc + to) * nr;
                    int64_t next_depth = to < kc ? std::min(kc - to, slice) : row + 1 < rows ? std::min(kc, slice) : 0;
                    if (next_depth == 0 && item + 1 < end) {
                        next = plan.packed.data() + (item + 1) / shares * depth * nr;
                        next_depth = std::min(kc, slice);
                    }
                    const int64_t next_lines = prefetch ? next_depth * nr / 16 : 0;
                    int64_t calls = 0;
                    for (int64_t t = t0; t < t1; ++t) {
                        const Tile &tile = tiles[size_t(t)];
                        calls += row >= tile.first_row && row < tile.last_row && tile.lo < to && tile.hi > from;
                    }
                    for (int64_t t = t0, call = 0; t < t1; ++t) {
                        const Tile &tile = tiles[size_t(t)];
                        const int64_t lo = std::max(from, tile.lo), hi = std::min(to, tile.hi);
                        if (row < tile.first_row || row >= tile.last_row || lo >= hi) continue;
                        args.a = xp + tile.a + taps[size_t(row)] + lo;
                        args.a_row_stride = tile.a_row_stride;
                        args.b = panel + (row * kc + lo) * nr;
                        args.kc = hi - lo;
                        args.c = yn + tile.c + j * nr;
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

bool direct_runs_by_slices(const fovea_conv_plan &plan, const Problem &p) { return direct_layout(plan, p).sliced; }

size_t direct_workspace_size(const fovea_conv_plan &plan, const Problem &p) {
    const DirectLayout layout = direct_layout(plan, p);
    return layout.padded_bytes + layout.window_bytes;
}

void run_direct(const fovea_conv_plan &plan, const Problem &p, const float *x, float *y,
                void *workspace) {
    const fovea_conv_desc &d = p.d;
    const DirectLayout layout = direct_layout(plan, p);
    const PaddedInput &padded = layout.padded;
    const int64_t C = d.in_channels;
    const int64_t Cg = p.in_channels_per_group, Kg = p.out_channels_per_group;
    const int64_t Hp = padded.size[1], Wp = padded.size[2];
    const gemm::UkernelInfo &ukernel = layout.ukernel;
    const int mr = ukernel.mr, nr = ukernel.nr;
    const bool merged = layout.merged;

    std::vector<int64_t> taps;
    for (int64_t kd = 0; kd < d.kernel[0]; ++kd)
        for (int64_t kh = 0; kh < d.kernel[1]; ++kh)
            for (int64_t kw = 0; kw < (merged ? 1 : d.kernel[2]); ++kw)
                taps.push_back(((kd * d.dilation[0] * Hp + kh * d.dilation[1]) * Wp + kw * d.dilation[2]) * C);
    const int64_t kc = layout.kc;
    const int64_t taps_per_row = merged ? 1 : d.kernel[2];
    const int64_t depth = layout.depth;
    const int64_t panels = (Kg + nr - 1) / nr;
    const int64_t group_width = padded_group_width(plan);
    const bool finish = finishes_tiles(p);
    const TileGrid grid(p, Hp, Wp, kc, mr, merged);
    const int64_t tiles = grid.count();

    const bool aids = gemm::streaming_aids_pay(plan.isa);
    std::vector<Tile> sliced_tiles;
    if (layout.windows) sliced_tiles = window_tiles(p, depth, mr);
    else if (layout.sliced) grid.visit(0, tiles, [&](const Tile &tile) { sliced_tiles.push_back(tile); });
    const std::vector<int64_t> whole_depth{0};  // the windows' one tap
    float *windows = reinterpret_cast<float *>(static_cast<char *>(workspace) + layout.padded_bytes);
    for (int64_t n = 0; n < d.batch; ++n) {
        const float *xp = x + n * p.in_image;
        float *yn = y + n * p.out_image;
        if (layout.windows) {
            // Each output pixel's window, kernel row after kernel row (the
            // packed weights' order), zeros where it overhangs the image.
            const int64_t pixels = d.out_size[1] * d.out_size[2];
            parallel_for(pixels, grain_for(pixels), [&](int64_t begin, int64_t end) {
                im2col_rows(p, xp, begin, end - begin, 0, windows + begin * depth);
            });
            run_sliced(plan, p, ukernel, sliced_tiles, windows, yn, whole_depth, depth,
                       aids ? slice_depth(nr) : depth, aids);
            continue;
        }
        if (padded.copy) {
            pad_image(p, padded, xp, static_cast<float *>(workspace));
            xp = static_cast<const float *>(workspace);
        }
        if (layout.sliced) {
            run_sliced(plan, p, ukernel, sliced_tiles, xp, yn, taps, kc, slice_depth(nr), true);
            continue;
        }
        // One loop over (group, panel, tile), panel-major: consecutive items
        // share a panel of weights, which stays in cache, and the whole image
        // is one parallel loop, balanced across threads even when it has few rows.
        const int64_t items = d.groups * panels * tiles;
        parallel_for(items, grain_for(items, 1), [&](int64_t begin, int64_t end) {
            gemm::UkernelArgs args{};
            args.b_tap_stride = kc * nr;
            args.finish = 1;
            args.activation = d.activation;
            for (int64_t item = begin; item < end;) {
                const int64_t t = item % tiles, j = (item / tiles) % panels, g = item / (tiles * panels);
                const int64_t run = std::min(end - item, tiles - t);  // tiles of this panel in the chunk
                const float *panel = plan.packed.data() + (g * panels + j) * depth * nr;
                args.n = std::min<int64_t>(nr, Kg - j * nr);
                args.bias = plan.bias.empty() ? nullptr : plan.packed_bias.data() + g * group_width + j * nr;
                // Inlined whole (visit and at too), the tile's fields stay in
                // registers: through memory, its m and ldc went into args as
                // one 16-byte load after two 8-byte stores, a forwarding
                // stall per call (MobileNet's stem, 27 values deep: 20 % slower).
                auto call = [&](const Tile &tile) __attribute__((always_inline)) {
                    // A 3-D tap spans depth too: every one of them runs.
                    const bool reaches = tile.first_row < tile.last_row && tile.lo < tile.hi;
                    args.taps = !reaches           ? 0
                                : d.kernel[0] == 1 ? (tile.last_row - tile.first_row) * taps_per_row
                                                   : int64_t(taps.size());
                    args.tap_offsets = taps.data() + tile.first_row * taps_per_row;
                    args.b = panel + (tile.first_row * taps_per_row * kc + tile.lo) * nr;
                    args.kc = tile.hi - tile.lo;
                    args.a = xp + tile.a + g * Cg + tile.lo;
                    args.a_row_stride = tile.a_row_stride;
                    args.c = yn + tile.c + g * Kg + j * nr;
                    args.ldc = tile.ldc;
                    args.m = tile.m;
                    const bool added = fuse_residual(plan, p, args);
                    ukernel.kernel(args);
                    if (finish) finish_tile(p, added, args.c, args.m, args.n, args.ldc);
                };
                if (!ukernel.tiles) {
                    grid.visit(t, t + run, call);
                } else {
                    // Tiles that continue each other go as one call.
                    Tile pending{};
                    grid.visit(t, t + run, [&](const Tile &tile) __attribute__((always_inline)) {
                        if (pending.m > 0 && pending.continued_by(tile)) {
                            pending.m += tile.m;
                            return;
                        }
                        if (pending.m > 0) call(pending);
                        pending = tile;
                    });
                    if (pending.m > 0) call(pending);
                }
                item += run;
            }
        });
    }
}

}  // namespace fovea::conv
