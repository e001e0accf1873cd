// The register-blocked GEMM microkernel every dense algorithm is built on:
// 1x1 convolution, the direct (implicit GEMM) convolution, im2col + GEMM,
// Winograd's batched multiplication and dense layers.
//
// It computes an MR x NR tile of C += A * B (kernels whose UkernelInfo says
// `tiles`: any number of rows, as tiles of at most MR) where the depth is split into
// "taps": tap t reads A at a + tap_offsets[t] (rows a_row_stride apart, kc
// consecutive values each) and B at b + t * b_tap_stride (kc rows of NR
// packed values). For a convolution on a padded NHWC input a tap is a kernel
// row: its kc = kernel_width * channels values are contiguous in memory.
#pragma once

#include <algorithm>
#include <cstdint>

#include "fovea_kernels.h"

namespace fovea::gemm {

struct UkernelArgs {
    const float *a;              // row 0 of the tile, before the tap offset
    int64_t a_row_stride;        // floats between consecutive rows of A
    const int64_t *tap_offsets;  // taps offsets in floats (taps == 1 may pass nullptr: offset 0)
    int64_t taps;
    int64_t kc;                  // depth per tap
    const float *b;              // packed panel: [taps][kc][NR], taps b_tap_stride apart
    int64_t b_tap_stride;
    float *c;
    int64_t ldc;
    int64_t m;                   // valid rows: <= MR, or any number for kernels whose UkernelInfo
                                 // says tiles (each tile of the call reads the next rows, a_row_stride
                                 // and ldc apart, of a, c and residual)
    int64_t n;                   // valid columns (<= NR)
    const float *bias;           // NR values (zero padded) used when !accumulate, or nullptr
    const float *residual;       // m x n values ldc apart added before the activation, or nullptr
                                 // (only kernels whose UkernelInfo says adds_residual read it)
    const float *prefetch;       // lines to fetch into cache while the depth loop runs, or nullptr:
    int64_t prefetch_lines;      // this many lines of 64 bytes from `prefetch` on, spread over the
                                 // loop (the next panel of B or the next tile's rows of A, which
                                 // would otherwise arrive from memory at the pace of the loads
                                 // that miss); a hint: the AVX2 kernel fetches one line per depth
                                 // step into L1, the AVX-512 ones two into L2; the NEON and
                                 // portable ones ignore it
    int32_t fetch_output;        // a hint for calls of several tiles: fetch each next tile's lines
                                 // of C and of the residual while the tile before it computes
    int32_t accumulate;          // add to C instead of overwriting it
    int32_t finish;              // last pass over the depth: apply the activation
    fovea_activation activation;
};

using Ukernel = void (*)(const UkernelArgs &);

// The largest weight panel taken to stay in L1 (Emerald Rapids and Zen 5:
// 48 KB of L1d). Larger panels change how some drivers call the
// microkernels (ukernel_for_rows; the slices of conv/conv_plan.h).
constexpr int64_t kL1PanelBytes = int64_t(48) << 10;

// Drivers that stream B from memory panel after panel hand each call a share
// of the next panel to prefetch when a panel serves at most this many calls:
// with few calls the hardware prefetchers leave the first call of each panel
// waiting on memory (a Zen 2 core: Winograd's products on 13x13 and 14x14
// maps 18-25 % faster, 1x1 convolutions on 7x7 maps 3-7 %); with more, the
// compute hides the misses and the extra loads cost 2-9 % (33 calls).
constexpr int64_t kPrefetchingCalls = 16;

// Whether the streaming aids pay for the kernels of `isa` on this core: the
// prefetch hint, and cutting panels larger than L1 into slices. Both were
// measured on Intel's cores, the hint also on Zen 2's AVX2 kernel. On Zen 5
// (until 2026-12-07 without them) they pay inside networks, where the
// weights come from memory: ResNet-50 at one thread 26.2-27.1 -> 25.2-25.8 ms
// (its 14x14x256 F(4x4) layers 0.55-0.57 -> 0.49-0.51, the slices doing it;
// the 1x1 projection 1024->2048 0.96-0.98 -> 0.85-0.87), dlib's ResNet at two
// threads 1.15-1.22 -> 0.98-1.05, while layers run alone with their weights
// hot lose 0-6 % (`fovea-bench profile`, `models` and `conv-layers`,
// interleaved). Where 512-bit FMAs are split (Zen 4) they cost more than
// they hide: one thread, F(4x4) on
// r50_3x3_d 160 against 255 GFLOP/s without them, F(2x2) 179 against 190,
// r50_3x3_c 317 against 326 (best of each run, four interleaved runs). Each
// alone lost too: the slices on vgg_conv3_2 (F(6x6) 398 against 425, F(4x4)
// 379 against 398), the Winograd products' prefetch inside the networks, where
// the weights are cold (dlib 3.60 against 3.26 ms, ResNet-50 55.5 against
// 54.4, medians of six).
bool streaming_aids_pay(fovea_isa isa);

// The share of a panel of `lines` 64-byte lines that calls [call, call + span)
// of `calls` prefetch, from `next` (the next panel) on.
inline void share_prefetch(UkernelArgs &args, const float *next, int64_t lines, int64_t call, int64_t calls,
                           int64_t span = 1) {
    const int64_t first = call * lines / calls, last = (call + span) * lines / calls;
    args.prefetch = next + first * 16;
    args.prefetch_lines = last - first;
}

// `count` rows in the fewest calls of at most mr rows, as even as can be:
// 109 pixels as 13 calls of 7 and 3 of 6 rather than 15 of 7 and one of 4,
// whose short tile runs its FMAs at a fraction of the rate. The split depends
// on count and mr alone, never on the thread count.
struct EvenCalls {
    int64_t calls, base, longer;  // every call has base rows, the first `longer` one more
    EvenCalls(int64_t count, int64_t mr) {
        calls = (count + mr - 1) / mr;
        base = calls > 0 ? count / calls : 0, longer = calls > 0 ? count % calls : 0;
    }
    int64_t rows(int64_t call) const { return base + (call < longer ? 1 : 0); }
    int64_t first(int64_t call) const { return call * base + std::min(call, longer); }
};

// Whether an activation is left out of the microkernels and transforms (sigmoid,
// tanh: exp-based), for the drivers to apply after the store.
inline bool applied_after_store(const fovea_activation &activation) {
    return activation.kind == FOVEA_ACTIVATION_SIGMOID || activation.kind == FOVEA_ACTIVATION_TANH;
}

// A microkernel and its tile.
struct UkernelInfo {
    Ukernel kernel;
    int32_t mr;
    int32_t nr;
    bool adds_residual = false;  // reads UkernelArgs::residual
    bool tiles = false;          // takes any number of rows a call (UkernelArgs::m), with the same
                                 // result for every row as calls of at most mr rows would give
};

UkernelInfo ukernel_scalar();
#if defined(__x86_64__)
UkernelInfo ukernel_avx2();
UkernelInfo ukernel_avx512();
UkernelInfo ukernel_avx512_12x32();
UkernelInfo ukernel_avx512_16x16();
UkernelInfo ukernel_avx512_6x64();
#elif defined(__aarch64__)
UkernelInfo ukernel_neon();
#endif

// The best microkernel for an ISA level that the machine allows.
UkernelInfo ukernel_for(fovea_isa isa);
// The same for a product with `columns` output columns: narrower tiles where
// a wide one would spend too many FMAs on zero padding. Tiles of more than
// `max_rows` rows are left out.
UkernelInfo ukernel_for(fovea_isa isa, int64_t columns, int64_t max_rows = INT64_MAX);
// The microkernel for a product of `rows` rows (a convolution's output pixels
// per image) whose calls each read `depth` rows of a weight panel packed for
// `planned`: `planned` itself or another with the same panel width.
UkernelInfo ukernel_for_rows(UkernelInfo planned, int64_t depth, int64_t rows);

// Packs a row-major k x n matrix (row stride ldb) into panels of nr columns,
// [ceil(n/nr)][k][nr], zero padding the last panel. `out` holds
// packed_size(k, n, nr) floats.
int64_t packed_size(int64_t k, int64_t n, int32_t nr);
void pack_b(int64_t k, int64_t n, const float *b, int64_t ldb, int32_t nr, float *out);

}  // namespace fovea::gemm
