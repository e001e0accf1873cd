// Which Winograd tile AUTO takes for a 3x3 layer: a cost model per kind of
// core, fitted to measured timings, of the products, the transforms and the
// passes over the transformed weights; and whether a model's weights stay in
// cache from call to call, which the choice and the plans both ask.
#include <algorithm>
#include <cmath>

#include "conv/winograd.h"
#include "dispatch/dispatch.h"
#include "threadpool/threadpool.h"

namespace fovea::conv {
namespace {

// What one core of a machine costs per unit of F(m x m, 3 x 3)'s work, fitted
// to cold-weight timings of F(2x2) and F(4x4) on the 3x3 layers of the
// networks in Benchmarks/ (7x7 to 224x224 maps, 16 to 1024 channels); only
// the ratios between the two tile sizes decide.
struct Costs {
    double gemm_rate;            // sustained FLOP/s of the batched products
    int64_t block_tile;          // the fused blocks' size is a multiple of this (run_winograd rounds to the
                                 // microkernel's rows; the AVX-512 costs were fitted with 1)
    double transform_seconds[2]; // per tile, per position and per channel (in + out), F(2x2) and F(4x4)
    double llc_bandwidth;        // bytes/s of a weight pass from the last-level cache
    double memory_bandwidth;     // ... and from memory, for weights larger than kLastLevelCache
    int64_t core_cache;          // weights larger than this stream once per fused block
    double restream_bandwidth;   // bytes/s of those extra passes
    bool memory_is_shared;       // threads share the weight pass from memory (see estimated_seconds);
                                 // otherwise the estimate scales as a whole and threads change no choice
};

constexpr double kLastLevelCache = 16e6;
// Weights this large stream from memory inside a network (twice the 2 MB L2
// of the cores measured; see winograd_choose).
constexpr double kStreamedWeightBytes = 4e6;

// AVX-512 (Zen 5): the products dominate, the transforms cost about the same
// per output pixel for both tile sizes and are left out.
constexpr Costs kCostsAvx512{230e9, 1, {0, 0}, 90e9, 30e9, int64_t(1) << 20, 90e9, false};
// AVX-512 on Intel's full-width cores (Emerald Rapids: 2 MB L2, a large L3
// that one core reads at about 33 GB/s): the weights come slower beside the
// products than on Zen 5, and F(2x2)'s smaller ones win more often. Fitted
// to cold-weight timings in core cycles (one thread, each run a different
// copy of the layer) of 19 layers of the benchmark networks, 4x4 to 224x224
// maps, 16 to 1024 channels: this table picks the fastest of direct, F(2x2)
// and F(4x4) on all of them, where the Zen 5 one lost 10 % on dlib's 17x17x64
// (F(4x4) 289 against F(2x2) 263 thousand cycles), 33 % on its 8x8x128
// (F(4x4) 406 against F(2x2) 306) and 17 % on ResNet-50's 14x14x256 (F(4x4)
// 2.85 against F(2x2) 2.44 million). Of the tables that choose right, this
// one leaves the widest margin (12 %) between its estimates wherever the
// two tiles' timings differ by more than 5 %.
constexpr Costs kCostsAvx512Intel{200e9, 1, {0, 0}, 17e9, 15e9, int64_t(512) << 10, 90e9, false};
// AVX-512 on a core that splits 512-bit FMAs (Zen 4, 32 MB L3): products at
// half Zen 5's rate while the weights come as fast or faster, so F(4x4)'s
// larger weights cost relatively less. Fitted to in-network timings (fovea-bench
// profile, one thread): F(4x4) against F(2x2) on ResNet-50's 7x7x512 1.23 against
// 1.39 ms, VGG-16's 14x14x512 3.4 against 4.0, YOLOv3-tiny's 13x13 512->1024
// 6.6-7.1 against 7.9-8.4 and 256->512 1.9 against 2.2; the Zen 5 costs chose
// F(2x2) on all four.
constexpr Costs kCostsAvx512Split{115e9, 1, {0, 0}, 45e9, 45e9, int64_t(1) << 20, 90e9, true};
// AVX2 (512 KB L2), and NEON with it: products 2.6 times slower than Zen 5's,
// and the transforms no longer negligible beside them. The microkernel
// computes only a partial tile's rows, so the products cost what the tiles
// are, while fused blocks are whole 6-row tiles. Fitted to
// cold-weight timings on a Zen 3 core (one thread, fewest core cycles of four
// or five interleaved rounds, F(2x2) / F(4x4) in thousands): dlib's 17x17x64
// 769 / 633, 8x8x128 660 / 508, 4x4x256 747 / 1667, 3x3x256 746 / 1721,
// 35x35x32 905 / 597; ResNet-50's 56x56x64 5787 / 3904, 28x28x128 4737 /
// 4441, 14x14x256 5872 / 5003, 7x7x512 6317 / 8681; YOLOv3-tiny's 13x13
// 512->1024 31962 / 25706, 26x26 128->256 10118 / 7727; a 7x7x64 layer 196 /
// 150. These costs pick the faster on all twelve.
constexpr Costs kCostsAvx2{90e9, 6, {0.6e-9, 0.8e-9}, 22e9, 22e9, int64_t(512) << 10, 80e9, false};

// Rough seconds for F(m x m, 3 x 3) on `threads` cores: the batched products,
// the transforms, and the passes over the transformed weights. The cores
// share the work and each reads its share of the weights from the last-level
// cache at its own pace. Where the costs say the memory is shared, weights
// from memory come over one bus: on Zen 4 two threads read 1.24 times as fast
// as one (peers/peak: 31.7 against 25.5 GB/s), which this takes as no faster,
// so a second thread favours the smaller tile where the weights are large.
// Two threads, Zen 4, inside the networks (fovea-bench profile, four to six
// interleaved rounds, medians): ResNet-50's three 7x7x512 layers F(4x4)
// 3.43-3.54 ms against F(2x2) 2.59-2.72 (at one thread F(4x4) stays ahead,
// 1.23 against 1.39 ms each), VGG-16's 28x28x512 ones F(6x6) 5.55-5.62
// against F(4x4) 5.04-5.07 and its 28x28 256->512 2.98 against 2.83;
// YOLOv3-tiny's 13x13 256->512 F(4x4) 1.23 against F(2x2) 1.22. The other
// tables were fitted at one thread and keep its choices: the AVX2 one with a
// shared bus, tried on the same Zen 4 core at that level, took F(2x2) on
// VGG-16's 14x14x512 layers (5.87 -> 6.32 ms for the three) and YOLOv3-tiny's
// 13x13 512->1024 (3.74 -> 4.05), four interleaved rounds each.
// `streamed`: the model's weights do not stay in cache from call to call
// (weight_residence), so even a layer's small ones come from memory, the
// others' having pushed them out. With a shared bus that makes a second
// thread favour the smaller weights there too: two threads, Zen 4, inside
// the networks (fovea-bench profile, interleaved rounds, medians): ResNet-50's
// four 28x28x128 layers F(6x6) 2.05 -> F(4x4) 1.94 ms (eight rounds), dlib's
// five 8x8x128 ones F(4x4) 0.071-0.094 -> F(2x2) 0.062-0.076 ms each (16
// rounds), YOLOv3-tiny's 13x13 256->512 F(2x2) 1.27 -> F(4x4) 1.20 (ten).
// One thread chooses as before: this table reads memory as fast as the cache.
double estimated_seconds(const fovea_conv_desc &d, int m, const Costs &c, double threads, bool streamed) {
    const int64_t alpha = m + 2, positions = alpha * alpha;
    const int64_t tiles_per_image = ((d.out_size[1] + m - 1) / m) * ((d.out_size[2] + m - 1) / m);
    const double tiles = double(d.batch * tiles_per_image);
    const double channels = double(d.in_channels) * double(d.out_channels);
    const double weight_bytes = double(positions) * channels * sizeof(float);
    double seconds = 2 * tiles * double(positions) * channels / c.gemm_rate;
    seconds += tiles * double(positions) * double(d.in_channels + d.out_channels) * c.transform_seconds[m == 2 ? 0 : 1];
    const bool from_memory = weight_bytes > kLastLevelCache || (streamed && c.memory_is_shared);
    const double pass = weight_bytes / (from_memory ? c.memory_bandwidth : c.llc_bandwidth);
    seconds = from_memory && c.memory_is_shared ? seconds / threads + pass : (seconds + pass) / threads;
    // Weights that the fused path keeps per core but that overflow its cache
    // come back once per block (run_winograd splits an image into at least
    // kMinimumBlocks of them).
    const double per_tile = double(positions) * double(d.in_channels + d.out_channels) * sizeof(float);
    if (weight_bytes <= double(kCacheResidentWeights) && weight_bytes > double(c.core_cache)) {
        const double block = double(c.block_tile);
        const double largest = std::max(block, std::floor(double(fused_block_bytes()) / per_tile / block) * block);
        const double blocks = std::max(std::ceil(double(tiles_per_image) / largest),
                                       std::min(double(kMinimumBlocks), std::ceil(double(tiles_per_image) / block)));
        seconds += double(d.batch) * (blocks - 1) * weight_bytes / c.restream_bandwidth / threads;
    }
    return seconds;
}

}  // namespace

WeightResidence weight_residence(int64_t model_weight_bytes) {
    // Cached when the model's weights, packed as F(6x6) and its edge strips'
    // F(4x4) pack them (64 + 36 values for every 9), fit in the last-level
    // cache: a 3x3 256->256 layer alone (26 MB so packed) does in Zen 5's
    // 32 MB; MobileNetV2 (14 MB of weights) and larger networks do not. The
    // activations are left out: a model of few weights on large maps may
    // still push its weights out between calls.
    const int64_t llc = cpu_l3_bytes();
    if (model_weight_bytes <= 0 || llc <= 0) return WeightResidence::streamed;
    return double(model_weight_bytes) * 100.0 / 9.0 <= double(llc) ? WeightResidence::cached
                                                                   : WeightResidence::streamed;
}

fovea_conv_algorithm winograd_choose(const fovea_conv_desc &d, WeightResidence residence) {
    // Too few channels leave the transforms dominant.
    if (d.in_channels < 16 || d.out_channels < 16) return FOVEA_CONV_ALGORITHM_AUTO;
    // A handful of tiles (a 4x4 map at batch 1) cannot amortise weights 16/9
    // the size of the direct kernel's: inside a network they stream from
    // memory, and on Zen 5's full-width AVX-512 direct wins. Where the direct
    // kernel's FMAs are slower beside memory, F(2x2) wins down to 3x3 maps:
    // with the weights cold, on a Zen 2 core (AVX2) 0.38-0.44 ms against
    // direct's 0.48-0.57 on 3x3 and 4x4 maps of 256 channels, and on Zen 4
    // (512-bit FMAs split in two) 0.125 against 0.176 ms on dlib's 4x4x256
    // layers and 0.125 against 0.133 on its 3x3x256 one (fovea-bench profile).
    // It loses on 2x2 maps, where most taps are padding.
    const int64_t tiles = d.batch * ((d.out_size[1] + 1) / 2) * ((d.out_size[2] + 1) / 2);
    const bool full_width = isa_allows(active_isa(), FOVEA_ISA_AVX512) && !cpu_splits_512bit_fma();
    const bool intel = full_width && cpu_is_intel();
    const bool small_maps_win = !full_width && d.out_size[1] >= 3 && d.out_size[2] >= 3;
    if (tiles < (small_maps_win ? 4 : 16)) return FOVEA_CONV_ALGORITHM_AUTO;
    // Sixteen tiles read each of F(2x2)'s weights as often as a 7x7 or 8x8
    // map's pixels read the direct kernel's, and there are 16/9 as many: when
    // they come from memory, F(2x2) is as fast as direct with the memory to
    // itself, and slower whenever the bus is shared. Inside ResNet-50 (fovea-bench
    // profile, one thread, Emerald Rapids guest with busy neighbours) its
    // 7x7x512 layers took 1.47-1.57 ms direct against 1.86-2.35 with F(2x2)
    // (16.8 MB of weights), while dlib's 8x8x128 ones (1 MB) kept F(2x2),
    // 3-14 % faster than direct. Measured on Intel's cores only.
    const double f2_weight_bytes = 16.0 * double(d.in_channels) * double(d.out_channels) * sizeof(float);
    if (intel && tiles <= 16 && f2_weight_bytes > kStreamedWeightBytes) return FOVEA_CONV_ALGORITHM_AUTO;
    // F(4x4) does about half the multiplications of F(2x2) but wastes more of
    // its tiles on the image edge, has 2.25 times the weights and dearer
    // transforms; with each ISA's costs, the model above picks the faster one
    // (or one within 3 %) on every layer measured, from 3x3 to 224x224
    // (Benchmarks/RESULTS.md).
    const Costs &costs = !isa_allows(active_isa(), FOVEA_ISA_AVX512) ? kCostsAvx2
                         : cpu_splits_512bit_fma()                   ? kCostsAvx512Split
                         : intel                                     ? kCostsAvx512Intel
                                                                     : kCostsAvx512;
    // On Zen 5, 16 F(2x2) tiles in all (7x7 and 8x8 maps at batch 1) whose
    // F(4x4) weights overflow the 1 MB L2:
    // F(4x4) has four tiles to amortise each weight, and inside a network the
    // weights come from memory. Its products are the faster alone (8x8x128,
    // one thread, weights hot: 27 against F(2x2)'s 39 us), but inside dlib's
    // ResNet its 8x8x128 layers took 0.124-0.142 ms against 0.104-0.111 with
    // F(2x2) at one thread, 0.090-0.095 against 0.058-0.063 at two, where
    // F(4x4)'s 36 positions split between the cores while F(2x2)'s tiles do.
    const double f4_weight_bytes = 36.0 * double(d.in_channels) * double(d.out_channels) * sizeof(float);
    const bool cached = residence == WeightResidence::cached;
    if (full_width && !intel && !cached && tiles <= 16 && f4_weight_bytes > double(kCacheResidentWeights))
        return FOVEA_CONV_ALGORITHM_WINOGRAD_2;
    const double threads = std::max(1, std::min(fovea_threads_get(), fovea_threads_hardware()));
    const double f4 = estimated_seconds(d, 4, costs, threads, !cached);
    if (f4 > estimated_seconds(d, 2, costs, threads, !cached)) return FOVEA_CONV_ALGORITHM_WINOGRAD_2;
    // F(6x6) does 21 % fewer products per output than F(4x4) on whole tiles,
    // with about twice its error (Benchmarks/RESULTS.md, 3e-5 of the output's
    // largest value at 256 channels). It pays only where the products
    // dominate: where 512-bit FMAs are split (Zen 4), on maps large enough to
    // waste little of its 6x6 tiles and with 64 channels or more (alone, F(6x6)
    // 9 % faster on vgg_conv1_2, 6 % on vgg_conv3_2 and r50_3x3_b, 1 % on
    // r50_3x3_a; inside VGG-16, its 28x28x512 layers 9.1-9.4 -> 8.5-8.6 ms,
    // ResNet-50's 28x28x128 ones unchanged). On Zen 5 it was never ahead, on Zen 2
    // (AVX2) by 3-6 % on 56x56 maps; on dlib's 17x17x64 maps, where F(4x4)
    // wastes many products on the edge, by 1-2 % inside the network for 3x
    // the error, so maps under 28x28 and fewer channels keep F(4x4).
    // On Zen 5, with the weights in cache between calls, F(6x6) is ahead on
    // the same maps: alone (one thread, fovea-bench conv-layers --all-tiles)
    // 56x56x64 742-745 effective GFLOP/s against F(4x4)'s 717-734 (790-814
    // against 732-761 on 2026-12-07 12:54-14:25), 28x28x128 872-894 against
    // 789-795, 56x56x256 780 against 700 (a full peer run, 15:23); at two
    // threads 56x56x256 within the runs' spread either way (1181-1485 against
    // 1248-1571). With the weights from memory it loses: inside ResNet-50 its
    // 28x28x128 layers 0.43-0.44 ms against 0.35-0.37 (F(6x6)'s weights and
    // its edge plan's 6.6 MB against 2.4).
    if (full_width && !intel && cached && d.in_channels >= 64 && d.out_channels >= 64 && d.out_size[1] >= 28 &&
        d.out_size[2] >= 28)
        return FOVEA_CONV_ALGORITHM_WINOGRAD_6;
    if (&costs == &kCostsAvx512Split && d.in_channels >= 64 && d.out_channels >= 64 && d.out_size[1] >= 28 &&
        d.out_size[2] >= 28 && estimated_seconds(d, 6, costs, threads, !cached) <= f4)
        return FOVEA_CONV_ALGORITHM_WINOGRAD_6;
    // On Intel's full-width cores (Emerald Rapids, one thread, `fovea-bench
    // conv-layers --cycles`) F(6x6) took fewer cycles than F(4x4) only on large
    // maps of few channels: 64 channels on 224x224 6 % fewer, on 112x112 5 %,
    // 128 on 112x112 3 %; 128 on 56x56 the same, 64 on 56x56 8 % more, 256 and
    // 512 channels on 28x28 and 56x56 5-15 % more.
    if (intel && d.in_channels >= 64 && d.out_channels >= 64 &&
        d.in_channels <= 128 && d.out_channels <= 128 && d.out_size[1] >= 112 && d.out_size[2] >= 112)
        return FOVEA_CONV_ALGORITHM_WINOGRAD_6;
    return FOVEA_CONV_ALGORITHM_WINOGRAD_4;
}

}  // namespace fovea::conv
