#include "conv/winograd.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <vector>

#include "conv/winograd_transforms.h"
#include "dispatch/dispatch.h"
#include "threadpool/threadpool.h"

namespace fovea::conv {
namespace {

int tile_size(fovea_conv_algorithm algorithm) {
    switch (algorithm) {
        case FOVEA_CONV_ALGORITHM_WINOGRAD_2: return 2;
        case FOVEA_CONV_ALGORITHM_WINOGRAD_4: return 4;
        default: return 6;
    }
}

winograd::Kernels kernels_for(fovea_isa isa, int m) {
#if defined(__x86_64__)
    if (isa_allows(isa, FOVEA_ISA_AVX512)) return winograd::kernels_avx512(m);
    if (isa_allows(isa, FOVEA_ISA_AVX2)) return winograd::kernels_avx2(m);
#endif
    (void)isa;
    return winograd::kernels_scalar(m);
}

int64_t round_up(int64_t value, int64_t multiple) { return (value + multiple - 1) / multiple * multiple; }

// Channel counts as the transforms and the GEMM see them.
struct Widths {
    int64_t cp;  // input channels, padded to the transform's vector width
    int64_t kp;  // output channels, padded to the microkernel's panel width
};

Widths widths(const fovea_conv_plan &plan) {
    const winograd::Kernels k = kernels_for(plan.isa, tile_size(plan.algorithm));
    return {round_up(plan.desc.in_channels, k.width), round_up(plan.desc.out_channels, plan.ukernel.nr)};
}

// One row of G applied to three rows of taps over n output channels:
// out[k] = g0 * a[k] + g1 * b[k] + g2 * c[k], loops the compiler vectorises.
void combine_rows(double g0, double g1, double g2, const float *__restrict a, const float *__restrict b,
                  const float *__restrict c, double *__restrict out, int64_t n) {
    for (int64_t k = 0; k < n; ++k) out[k] = g0 * a[k] + g1 * b[k] + g2 * c[k];
}

// The same for the right-hand product by G^T: one row of G against the three
// columns of G g (a, b, c over the output channels), rounded to float.
void combine_columns(double g0, double g1, double g2, const double *__restrict a, const double *__restrict b,
                     const double *__restrict c, float *__restrict out, int64_t n) {
    for (int64_t k = 0; k < n; ++k) out[k] = float(a[k] * g0 + b[k] * g1 + c[k] * g2);
}

template <int M>
void transform_weights(const float *w, int64_t channels, int64_t outputs, int64_t cp, std::vector<float> &u) {
    using Mx = winograd::Matrices<M>;
    constexpr int A = Mx::alpha;
    // u[xi][c][k], rows past the real channels stay zero.
    u.assign(size_t(A * A * cp * outputs), 0.0f);
    // G g G^T for all output channels of an input channel at once, the output
    // channels innermost: every step is then a contiguous run (building dlib's
    // network spent 134 million instructions here a value at a time). The
    // same sums in the same order as a value at a time.
    std::vector<double> gg(size_t(A * 3 * outputs));  // (G g)[i][j] over k
    for (int64_t c = 0; c < channels; ++c) {
        const auto tap = [&](int i, int j) { return w + ((i * 3 + j) * channels + c) * outputs; };
        for (int i = 0; i < A; ++i)
            for (int j = 0; j < 3; ++j)
                combine_rows(Mx::G[i][0], Mx::G[i][1], Mx::G[i][2], tap(0, j), tap(1, j), tap(2, j),
                             gg.data() + (i * 3 + j) * outputs, outputs);
        for (int i = 0; i < A; ++i)
            for (int j = 0; j < A; ++j) {
                const double *row = gg.data() + i * 3 * outputs;
                combine_columns(Mx::G[j][0], Mx::G[j][1], Mx::G[j][2], row, row + outputs, row + 2 * outputs,
                                u.data() + ((i * A + j) * cp + c) * outputs, outputs);
            }
    }
}

// Tiles per chunk: a whole number of microkernel rows, with the chunk's V and M
// buffers together near 12 MB (well inside the last-level cache), so that the
// weights stream from memory once per chunk while the chunk stays in cache.
int64_t chunk_tiles(const fovea_conv_plan &plan, const Problem &p, const Widths &w) {
    const int m = tile_size(plan.algorithm), alpha = m + 2;
    const int64_t tiles = ((p.d.out_size[1] + m - 1) / m) * ((p.d.out_size[2] + m - 1) / m);
    const int64_t per_tile = int64_t(alpha) * alpha * (w.cp + w.kp) * int64_t(sizeof(float));
    const int64_t mr = plan.ukernel.mr;
    const int64_t budget = std::max<int64_t>(mr, (int64_t(12) << 20) / per_tile / mr * mr);
    if (tiles == 0) return mr;  // an empty output: nothing to split
    // Chunks of nearly equal size: 196 tiles made one of 168 and one of 28,
    // and the weights streamed in full for the small one too.
    const int64_t chunks = (tiles + budget - 1) / budget;
    return std::min(budget, round_up((tiles + chunks - 1) / chunks, mr));
}


// The tiles of a fused block: no more than `largest` (the cache's share),
// about kMinimumBlocks per image where the tiles allow it, so that two or
// four threads share a small map evenly, and of the block counts within one
// core count of that, the one that leaves the busiest core the fewest tiles
// when the blocks of `batch` images are dealt out over the machine's cores
// (the larger blocks on a tie: fewer passes over the weights). Otherwise 16
// tiles made blocks of 6, 6 and 4, and two cores ran 12 and 4: dlib's
// 8x8x128 layers inside the network at two threads 0.035-0.040 ms, with two
// blocks of 8 0.027-0.035 (Zen 5, streaming aids on; one thread 0.049-0.054
// either way). Larger blocks everywhere lost inside dlib at one thread (their
// transformed tiles crowd the weights out of L2). Depends on the hardware
// core count, never the configured thread count: which tiles share a GEMM
// call decides the last bits of the result.
int64_t fused_block_size(int64_t tiles, int64_t largest, int64_t mr, int64_t batch) {
    const int64_t cores = std::max<int32_t>(1, fovea_threads_hardware());
    const int64_t fewest = (tiles + largest - 1) / largest;
    const int64_t usual = std::max(fewest, std::min<int64_t>(kMinimumBlocks, (tiles + mr - 1) / mr));
    int64_t best = (tiles + usual - 1) / usual, least = INT64_MAX;
    for (int64_t count = std::max(fewest, usual - cores + 1); count < usual + cores; ++count) {
        const int64_t block = (tiles + count - 1) / count;
        const int64_t busiest = busiest_share(batch * ((tiles + block - 1) / block), block);
        if (busiest < least) best = block, least = busiest;
    }
    return best;
}

// Large weights at several threads: the phases split by tiles, then by
// positions, then by tiles again, so that every core reads only its share of
// the weights, but then each tile's V and M cross from the core that wrote
// them to the one that reads them, and three joins per chunk. Where each
// thread has enough tiles to reuse every weight it reads (at least one per 8
// channels), each thread rather runs the three phases on its own tiles and
// reads all the weights, which come from the shared cache untouched: on a
// two-core Intel Xeon guest (KVM), ResNet-50's 28x28x128 layer at F(4x4)
// 536-644 effective GFLOP/s against 428-525, while 14x14x256 (8 tiles a
// thread) ran 25-40 % slower that way.
bool split_by_tiles(const Widths &w, int64_t count, int32_t threads) {
    return threads > 1 && count / threads * 8 >= std::max(w.cp, w.kp);
}

bool fused(const fovea_conv_plan &plan, const Widths &w) {
    const int alpha = tile_size(plan.algorithm) + 2;
    return int64_t(alpha) * alpha * w.cp * w.kp * int64_t(sizeof(float)) <= kCacheResidentWeights;
}

int64_t fused_block_tiles(const fovea_conv_plan &plan, const Widths &w) {
    const int alpha = tile_size(plan.algorithm) + 2;
    const int64_t per_tile = int64_t(alpha) * alpha * (w.cp + w.kp) * int64_t(sizeof(float));
    const int64_t mr = plan.ukernel.mr;
    return std::max<int64_t>(mr, fused_block_bytes() / per_tile / mr * mr);
}

size_t fused_worker_bytes(const fovea_conv_plan &plan, const Widths &w) {
    const int alpha = tile_size(plan.algorithm) + 2;
    const int64_t tiles = fused_block_tiles(plan, w);
    return round_to_cache_line(size_t(alpha * alpha * tiles * w.cp) * sizeof(float)) +
           round_to_cache_line(size_t(alpha * alpha * tiles * w.kp) * sizeof(float));
}

}  // namespace

// A fused block's V and M take a quarter of the core's L2, between 256 and
// 512 KB: 512 KB on Zen 5's 2 MB; on Zen 4's 1 MB, 512 KB blocks with 590 KB
// of weights overflowed it, and at two threads 256 KB ran r50_3x3_a at 706-741
// effective GFLOP/s against 561-645 (vgg_conv1_2 +7 %, one thread unchanged),
// while 128 KB blocks, each another pass over the weights, were slower still.
int64_t fused_block_bytes() {
    static const int64_t bytes = [] {
        const int64_t l2 = cpu_l2_bytes();
        return l2 > 0 ? std::clamp<int64_t>(l2 / 4, int64_t(256) << 10, int64_t(512) << 10) : int64_t(512) << 10;
    }();
    return bytes;
}

bool winograd_applies(const fovea_conv_desc &d) {
    return d.kernel[0] == 1 && d.kernel[1] == 3 && d.kernel[2] == 3 && d.stride[0] == 1 && d.stride[1] == 1 &&
           d.stride[2] == 1 && d.dilation[1] == 1 && d.dilation[2] == 1 && d.groups == 1 &&
           d.in_size[0] == 1 && d.out_size[0] == 1 && d.pad_begin[0] == 0 && d.pad_end[0] == 0;
}

void pack_winograd_weights(fovea_conv_plan &plan, const float *w) {
    const int m = tile_size(plan.algorithm), alpha = m + 2;
    const Widths wd = widths(plan);
    const int64_t C = plan.desc.in_channels, K = plan.desc.out_channels;
    std::vector<float> u;
    if (m == 2) transform_weights<2>(w, C, K, wd.cp, u);
    else if (m == 4) transform_weights<4>(w, C, K, wd.cp, u);
    else transform_weights<6>(w, C, K, wd.cp, u);
    const int64_t per_position = gemm::packed_size(wd.cp, K, plan.ukernel.nr);
    plan.packed.resize(size_t(per_position * alpha * alpha));
    for (int xi = 0; xi < alpha * alpha; ++xi)
        gemm::pack_b(wd.cp, K, u.data() + size_t(xi * wd.cp * K), K, plan.ukernel.nr,
                     plan.packed.data() + xi * per_position);
}

bool winograd_weights_stay_cached(const fovea_conv_plan &plan, int64_t model_weight_bytes) {
    // The model's weights fit in the last-level cache (weight_residence), and
    // this plan's packed ones in half of it: alone, one thread, fewest core
    // cycles of five interleaved rounds without / with the aids (the panel
    // prefetch hint and L1-sized slices): r50_3x3_a (F(6x6), 1.6 MB packed
    // with its edge plan) 1.09 / 1.13 million, r50_3x3_b (6.6 MB) 0.97 /
    // 0.99, r50_3x3_c (F(4x4), 9.4 MB) 1.35 / 1.37, vgg_conv1_2 (1.6 MB) 24.7
    // / 25.7; medians 4-9 % fewer. vgg_conv3_2 (F(6x6), 26 MB with its edge
    // plan's) kept the aids: 17.1 / 17.0, medians 5 % more without. This rule
    // against the aids everywhere, eight interleaved rounds (`auto`): fewest
    // cycles r50_3x3_a 1.10 / 1.16 million, r50_3x3_b 0.99 / 0.99, r50_3x3_c
    // 1.35 / 1.43, vgg_conv1_2 24.7 / 27.2; medians 8-13 % fewer but on
    // r50_3x3_c (4 % more).
    if (weight_residence(model_weight_bytes) != WeightResidence::cached) return false;
    size_t floats = plan.packed.size() + (plan.edge ? plan.edge->packed.size() : 0);
    return double(floats * sizeof(float)) <= double(cpu_l3_bytes()) / 2;
}

namespace {

// The outputs [row, row + height) x [col, col + width) of every image, as a
// convolution of its own: the whole input, with the padding moved so that
// the region's first tile reads where the whole problem's tile at (row, col)
// would (padding that turns negative skips input rows or columns), and the
// output from (row, col) on, its rows keeping the whole output's stride.
struct Region {
    int64_t row, col, height, width;
};

Problem region_problem(const Problem &p, const Region &r) {
    Problem q = p;
    q.d.pad_begin[1] = p.d.pad_begin[1] - r.row;
    q.d.pad_begin[2] = p.d.pad_begin[2] - r.col;
    q.d.out_size[1] = r.height;
    q.d.out_size[2] = r.width;
    return q;
}

// Where an F(6x6) plan's output is not a whole number of 6x6 tiles, the
// largest whole block of them and, along the right and bottom edges, strips
// of 4x4 tiles (its `edge` plan): on 28x28 and 56x56 maps 6.75 % fewer
// products than 6x6 tiles reaching past the edge (28 = 4 x 6 + 4,
// 56 = 8 x 6 + 2 x 4). Taken where it saves 5 % of the products or more.
// Zen 4, one thread, `fovea-bench conv-layers --variants auto`, medians of
// runs interleaved in both orders: vgg_conv3_2 366 -> 390 and 363 -> 391
// effective GFLOP/s, r50_3x3_b 382 -> 406 and 346 -> 405, r50_3x3_a 354 ->
// 346 and 334 -> 356; inside ResNet-50 and VGG-16 within 2 % either way
// (there the edge plan's weights arrive cold too).
struct Split {
    Region main, right, bottom;  // empty regions have no rows or no columns
};

std::optional<Split> edge_split(const fovea_conv_plan &plan, const fovea_conv_desc &d) {
    if (plan.algorithm != FOVEA_CONV_ALGORITHM_WINOGRAD_6 || !plan.edge) return std::nullopt;
    const int64_t H = d.out_size[1], W = d.out_size[2];
    auto up = [](int64_t a, int64_t b) { return (a + b - 1) / b; };
    const int64_t whole = up(H, 6) * up(W, 6) * 64;
    std::optional<Split> best;
    int64_t best_cost = whole * 95 / 100 + 1;
    for (int64_t h6 = H / 6; h6 >= std::max<int64_t>(0, H / 6 - 1); --h6)
        for (int64_t w6 = W / 6; w6 >= std::max<int64_t>(0, W / 6 - 1); --w6) {
            const int64_t rows = 6 * h6, cols = 6 * w6;
            const int64_t cost = h6 * w6 * 64 + up(rows, 4) * up(W - cols, 4) * 36 + up(H - rows, 4) * up(W, 4) * 36;
            if (cost < best_cost && rows > 0 && cols > 0) {
                best_cost = cost;
                best = Split{{0, 0, rows, cols}, {0, cols, rows, W - cols}, {rows, 0, H - rows, W}};
            }
        }
    return best;
}

size_t region_workspace_size(const fovea_conv_plan &plan, const Problem &p, bool minimum) {
    const int m = tile_size(plan.algorithm), alpha = m + 2;
    const Widths w = widths(plan);
    if (fused(plan, w))
        return fused_worker_bytes(plan, w) * size_t(minimum ? 1 : std::max(fovea_threads_get(), 1));
    const int64_t chunk = chunk_tiles(plan, p, w);
    return round_to_cache_line(size_t(alpha * alpha * chunk * w.cp) * sizeof(float)) +
           round_to_cache_line(size_t(alpha * alpha * chunk * w.kp) * sizeof(float));
}

}  // namespace

size_t winograd_workspace_size(const fovea_conv_plan &plan, const Problem &p, bool minimum) {
    const std::optional<Split> split = edge_split(plan, p.d);
    if (!split) return region_workspace_size(plan, p, minimum);
    // The regions run one after the other in one workspace.
    return std::max({region_workspace_size(plan, region_problem(p, split->main), minimum),
                     region_workspace_size(*plan.edge, region_problem(p, split->right), minimum),
                     region_workspace_size(*plan.edge, region_problem(p, split->bottom), minimum)});
}

namespace {

void run_region(const fovea_conv_plan &plan, const Problem &whole, const Region &region, const float *x, float *y,
                void *workspace, size_t workspace_bytes) {
    if (region.height <= 0 || region.width <= 0) return;
    const Problem p = region_problem(whole, region);
    const int64_t in_row = whole.d.in_size[2], out_row = whole.d.out_size[2];
    y += (region.row * out_row + region.col) * whole.d.out_channels;
    const fovea_conv_desc &d = p.d;
    const int m = tile_size(plan.algorithm), alpha = m + 2, positions = alpha * alpha;
    const Widths w = widths(plan);
    const winograd::Kernels transforms = kernels_for(plan.isa, m);
    const int64_t tiles_h = (d.out_size[1] + m - 1) / m, tiles_w = (d.out_size[2] + m - 1) / m;
    const int64_t tiles = tiles_h * tiles_w;
    if (tiles == 0 || d.batch == 0) return;  // an empty output
    const int64_t K = d.out_channels, mr = plan.ukernel.mr, nr = plan.ukernel.nr;
    const int64_t panels = w.kp / nr;
    const int64_t per_position = gemm::packed_size(w.cp, K, nr);
    // A residual sum comes with its own activation (the plan's is none).
    const fovea_activation activation = p.residual ? p.residual_activation : d.activation;
    const bool slow_activation = applied_after_store(activation);
    // Each tile's transform is contiguous ([tile][position][channels]), so the
    // transforms write and read whole cache lines in one place; the GEMM of a
    // position reads its rows alpha^2 * Cp floats apart.
    const int64_t v_tile = positions * w.cp, m_tile = positions * w.kp;

    auto input = [&](const float *xn, float *v, int64_t first, int64_t begin, int64_t end) {
        winograd::InputArgs a{xn, d.in_size[1], d.in_size[2], d.in_channels, in_row, w.cp, d.pad_begin[1],
                              d.pad_begin[2], tiles_w, first, begin, end, v, w.cp, v_tile};
        transforms.input(a);
    };
    // The GEMMs of positions [begin, end) over `count` tiles. The weights come
    // from memory or L3 panel by panel (inside a network even those small
    // enough to stay in cache arrive cold), and when a panel serves few calls
    // each call spreads a share of the next panel's lines over its depth loop
    // (gemm::kPrefetchingCalls). Fetching a slice of the next position's
    // weights in a burst before each call instead had held up the loop's own
    // loads: 10-15 % slower on 14x14 and 7x7 layers (AVX-512).
    // `slicing_count`: the tiles of the block or chunk the call is part of,
    // which the shape alone decides (see `sliced`).
    auto multiply = [&](const float *v, float *product, int64_t count, int64_t begin, int64_t end,
                        int64_t slicing_count) {
        gemm::UkernelArgs args{};
        args.taps = 1;
        args.a_row_stride = v_tile;
        args.ldc = m_tile;
        args.n = nr;
        const int64_t panel_floats = w.cp * nr;
        const int64_t calls = (count + mr - 1) / mr;
        const bool aids = gemm::streaming_aids_pay(plan.isa) && !plan.weights_cached;
        const bool stream = aids && calls <= gemm::kPrefetchingCalls;
        // Panels larger than L1 go slice by slice when they serve few calls:
        // cold weights, one thread, Emerald Rapids, in core
        // cycles, F(2x2) on 14x14x256 (7 calls a panel) 2.61-2.76 -> 2.40-2.46
        // million, on 7x7x512 (3 calls) 3.95-4.13 -> 3.69-3.88, 13x13 256->512
        // 4.20 -> 4.05, 16x16x256 (10 calls) 2.97-3.06 -> 2.76-2.85; F(4x4)
        // on 14x14x256 (3 calls) 2.81-2.96 -> 2.53-2.83.
        // Slicing changes the order of the sums of one- and two-row calls
        // (the microkernel accumulates their even and odd depth steps apart),
        // so whether a product goes slice by slice depends on its block's or
        // chunk's tiles, never on a thread's share of them.
        const bool sliced = aids && (slicing_count + mr - 1) / mr <= gemm::kPrefetchingCalls &&
                            panel_floats * int64_t(sizeof(float)) > kL1PanelBytes;
        const int64_t slice = sliced ? slice_depth(nr) : w.cp;
        const float *packed_end = plan.packed.data() + end * per_position;
        for (int64_t xi = begin; xi < end; ++xi) {
            const float *u = plan.packed.data() + xi * per_position;
            for (int64_t j = 0; j < panels; ++j) {
                const float *panel = u + j * panel_floats;
                // Each call fetches a share of what comes next: the next slice
                // or, after the last, the next panel (the next position's first
                // follows the last: the packed weights are one array).
                for (int64_t from = 0; from < w.cp; from += slice) {
                    const int64_t to = std::min(w.cp, from + slice);
                    const float *next = panel + to * nr;
                    const int64_t next_lines = std::max<int64_t>(0, std::min<int64_t>(slice * nr, packed_end - next)) / 16;
                    args.b = panel + from * nr;
                    args.kc = to - from;
                    args.accumulate = from > 0;
                    // A kernel that takes many rows (UkernelInfo::tiles) gets
                    // them all in one call, with every call's share to fetch.
                    const int64_t step = plan.ukernel.tiles ? count : mr, span = plan.ukernel.tiles ? calls : 1;
                    for (int64_t i = 0, call = 0; i < count; i += step, ++call) {
                        if (stream) gemm::share_prefetch(args, next, next_lines, call, calls, span);
                        args.a = v + i * v_tile + xi * w.cp + from;
                        args.c = product + i * m_tile + xi * w.kp + j * nr;
                        args.m = std::min<int64_t>(step, count - i);
                        plan.ukernel.kernel(args);
                    }
                }
            }
        }
    };
    auto output = [&](const float *product, float *yn, int64_t first, int64_t begin, int64_t end) {
        winograd::OutputArgs a{product, w.kp, m_tile, w.kp, K, yn, d.out_size[1], d.out_size[2], out_row, tiles_w,
                               first, begin, end, plan.bias.empty() ? nullptr : plan.packed_bias.data(),
                               p.residual ? p.residual + (yn - p.output) : nullptr, activation};
        transforms.output(a);
        if (!slow_activation) return;
        for (int64_t t = begin; t < end; ++t) {
            const int64_t tile = first + t;
            const int64_t y0 = (tile / tiles_w) * m, x0 = (tile % tiles_w) * m;
            for (int64_t i = 0; i < m && y0 + i < d.out_size[1]; ++i)
                finish_activation(activation, yn + ((y0 + i) * out_row + x0) * K,
                                  std::min<int64_t>(m, d.out_size[2] - x0), K, K);
        }
    };

    if (fused(plan, w)) {
        const size_t per_worker = fused_worker_bytes(plan, w);
        const int32_t workers = int32_t(std::max<size_t>(1, workspace_bytes / per_worker));
        // Blocks of nearly equal size (a 17x17 map's 25 tiles once made one
        // block of 21 and one of 4), dealt out evenly: see fused_block_size.
        const int64_t block = fused_block_size(tiles, fused_block_tiles(plan, w), mr, d.batch);
        const int64_t blocks_per_image = (tiles + block - 1) / block;
        parallel_for_workers(d.batch * blocks_per_image, 1, workers, [&](int64_t begin, int64_t end, int32_t worker) {
            char *base = static_cast<char *>(workspace) + size_t(worker) * per_worker;
            float *v = reinterpret_cast<float *>(base);
            float *product = reinterpret_cast<float *>(
                base + round_to_cache_line(size_t(positions * block * w.cp) * sizeof(float)));
            for (int64_t b = begin; b < end; ++b) {
                const int64_t n = b / blocks_per_image, first = (b % blocks_per_image) * block;
                const int64_t count = std::min(block, tiles - first);
                input(x + n * p.in_image, v, first, 0, count);
                // Fused blocks fetch each next panel ahead as the chunks do,
                // though their weights stay in cache after the first. Cold
                // weights, one thread, Emerald Rapids, core cycles: dlib's
                // 17x17x64 F(2x2) 337-354 -> 282-288 thousand, F(4x4) 362-422
                // -> 292-329, F(6x6) 444-644 -> 316-385; its 35x35x32 F(4x4)
                // 254-266 -> 217-224; ResNet-50's 56x56x64 F(4x4) 1.66-1.71
                // -> 1.56 million. With the weights hot it costs 0-5 %.
                multiply(v, product, count, 0, positions, count);
                output(product, y + n * p.out_image, first, 0, count);
            }
        });
        return;
    }

    const int64_t chunk = chunk_tiles(plan, p, w);
    const int32_t threads = fovea_threads_get();
    float *v = static_cast<float *>(workspace);
    float *product = reinterpret_cast<float *>(
        static_cast<char *>(workspace) + round_to_cache_line(size_t(positions * chunk * w.cp) * sizeof(float)));
    for (int64_t n = 0; n < d.batch; ++n) {
        const float *xn = x + n * p.in_image;
        float *yn = y + n * p.out_image;
        for (int64_t first = 0; first < tiles; first += chunk) {
            const int64_t count = std::min(chunk, tiles - first);
            if (split_by_tiles(w, count, threads)) {
                // Whole groups of mr tiles per thread: the GEMM calls group
                // the tiles as the phase-by-phase loops below do, so the
                // result does not depend on the thread count.
                const int64_t groups = (count + mr - 1) / mr;
                parallel_for(groups, (groups + threads - 1) / threads, [&](int64_t first_group, int64_t end_group) {
                    const int64_t begin = first_group * mr, end = std::min(count, end_group * mr);
                    input(xn, v, first, begin, end);
                    multiply(v + begin * v_tile, product + begin * m_tile, end - begin, 0, positions, count);
                    output(product, yn, first, begin, end);
                });
                continue;
            }
            parallel_for(count, grain_for(count, 2),
                         [&](int64_t begin, int64_t end) { input(xn, v, first, begin, end); });
            parallel_for(positions, 1,
                         [&](int64_t begin, int64_t end) { multiply(v, product, count, begin, end, count); });
            parallel_for(count, grain_for(count, 2),
                         [&](int64_t begin, int64_t end) { output(product, yn, first, begin, end); });
        }
    }
}

}  // namespace

void run_winograd(const fovea_conv_plan &plan, const Problem &p, const float *x, float *y, void *workspace,
                  size_t workspace_bytes) {
    if (const std::optional<Split> split = edge_split(plan, p.d)) {
        run_region(plan, p, split->main, x, y, workspace, workspace_bytes);
        run_region(*plan.edge, p, split->right, x, y, workspace, workspace_bytes);
        run_region(*plan.edge, p, split->bottom, x, y, workspace, workspace_bytes);
        return;
    }
    run_region(plan, p, {0, 0, p.d.out_size[1], p.d.out_size[2]}, x, y, workspace, workspace_bytes);
}

}  // namespace fovea::conv
