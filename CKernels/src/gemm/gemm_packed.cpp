// The general SGEMM behind fovea_gemm, C = act(alpha op(A) op(B) + beta C +
// bias), on the microkernels the convolutions multiply with: the active
// level's widest tile that suits n (gemm::ukernel_for), so one driver serves
// AVX-512, AVX2, NEON and the portable level.
//
// Each task packs one panel of op(B), nr columns, a block of the depth at a
// time, into a buffer of its own that stays in cache, and runs its share of
// the rows over it; A is read in place, each microkernel row from its own row
// of A (a transposed A is first copied into rows). Products of a few rows,
// for which packing B would cost more than multiplying it, read B in place
// instead (gemm_rows.h).
//
// The rows are split into microkernel calls by EvenCalls (m and mr alone;
// kernels that take many rows a call give each row what such calls would)
// and the depth into blocks by k alone, so every element of C gets the same
// sums in the same order on any number of threads. beta == 0 never reads C.
// The instruction-set level is read once a call: the bias is padded for the
// microkernel that runs.
#include <algorithm>
#include <cstdint>
#include <new>

#include "common/workspace.h"
#include "dispatch/dispatch.h"
#include "dispatch/families.h"
#include "gemm/gemm_kernels.h"
#include "gemm/gemm_rows.h"
#include "gemm/ukernel.h"
#include "reference/reference.h"
#include "threadpool/threadpool.h"

namespace fovea {
namespace {

// Depth per packed block: 128 KB of a 64-column panel, which stays in L2
// beside the rows of A that meet it.
constexpr int64_t kDepthBlock = 512;
// Rows a task takes, about, so that packing a panel costs little beside
// multiplying it (a copy per depth step against an FMA per row).
constexpr int64_t kTaskRows = 128;
// Products of a few rows read B in place instead of packing it (gemm_rows.h):
// up to kFewRows always, up to kSomeRows where B is too large to stay in the
// last-level cache and streams from memory, since the kernel reads each row
// of B in one long run. Zen 4, GFLOP/s at one and two threads, read in place
// against packed: 2 x 1000 x 2048 26 and 32 against 22 and 25; 8 x 1000 x
// 2048 45 and 49 against 56 and 87; 8 x 4096 x 4096 31 and 55 against 24
// and 54.
constexpr int64_t kFewRows = 2, kSomeRows = 8;
constexpr double kStreamedBytes = 16e6;
// Smaller products stay on the calling thread: waking the pool costs more.
constexpr double kParallelFlops = double(1 << 19);

// Scratch for `count` floats; throws when the memory is exhausted (guarded
// turns that into FOVEA_STATUS_OUT_OF_MEMORY).
Workspace floats(int64_t count) {
    Workspace scratch(size_t(std::max<int64_t>(count, 1)) * sizeof(float));
    if (!scratch.get()) throw std::bad_alloc();
    return scratch;
}

// The product C[m x n] (ldc) = act(A B + bias) or, with accumulate, act(C + A B),
// A row-major with rows a_stride apart.
struct Product {
    const fovea_gemm_desc &d;
    const float *a;
    int64_t a_stride;
    const float *b;
    const float *bias;  // padded to whole panels, or nullptr
    float *c;
    int64_t ldc;
    bool accumulate;
    fovea_activation activation;
};

// op(B)[p0 : p0+kc, j0 : j0+nr] into out[kc][nr]; columns past n are zeros.
void pack_panel(const Product &P, int64_t p0, int64_t kc, int64_t j0, int64_t nr, float *out) {
    const fovea_gemm_desc &d = P.d;
    const int64_t width = std::min(nr, d.n - j0);
    if (!d.trans_b) {
        gemm::pack_b(kc, width, P.b + p0 * d.ldb + j0, d.ldb, int32_t(nr), out);
        return;
    }
    // op(B)(p, j) = b[j * ldb + p]: a column of the panel is a run of one row of B.
    for (int64_t j = 0; j < nr; ++j) {
        const float *src = P.b + (j0 + j) * d.ldb + p0;
        for (int64_t p = 0; p < kc; ++p) out[p * nr + j] = j < width ? src[p] : 0.0f;
    }
}

void multiply(const Product &P, const gemm::UkernelInfo &ukernel) {
    const fovea_gemm_desc &d = P.d;
    const int64_t mr = ukernel.mr, nr = ukernel.nr;
    const gemm::EvenCalls calls(d.m, mr);
    const int64_t panels = (d.n + nr - 1) / nr;
    const int64_t depth_blocks = std::max<int64_t>(1, (d.k + kDepthBlock - 1) / kDepthBlock);
    const int64_t block_depth = (d.k + depth_blocks - 1) / depth_blocks;
    // One panel a task; the rows are cut only as far as the threads need
    // work, since each cut packs the panels again.
    const int64_t threads = std::max(1, fovea_threads_hardware());
    const int64_t most_cuts = std::max<int64_t>(1, d.m / kTaskRows);
    const int64_t cuts = std::min(most_cuts, std::max<int64_t>(1, (4 * threads + panels - 1) / panels));
    const int64_t items = panels * cuts;
    const bool small = double(d.m) * double(d.n) * double(std::max<int64_t>(d.k, 1)) < kParallelFlops;
    const bool after_store = gemm::applied_after_store(P.activation);

    parallel_for(items, small ? items : grain_for(items, 1, 2), [&](int64_t begin, int64_t end) {
        Workspace packed = floats(block_depth * nr);
        gemm::UkernelArgs args{};
        args.taps = 1;
        args.ldc = P.ldc;
        args.a_row_stride = P.a_stride;
        args.activation = P.activation;
        args.b = packed.floats();
        for (int64_t item = begin; item < end; ++item) {
            // Cut-major: a thread's consecutive items meet the same rows of A.
            const int64_t cut = item / panels, j0 = item % panels * nr;
            const int64_t first_call = cut * calls.calls / cuts, end_call = (cut + 1) * calls.calls / cuts;
            if (first_call == end_call) continue;
            const int64_t step = ukernel.tiles ? end_call - first_call : 1;
            args.n = std::min(nr, d.n - j0);
            for (int64_t block = 0; block < depth_blocks; ++block) {
                const int64_t p0 = block * block_depth, kc = std::min(block_depth, d.k - p0);
                pack_panel(P, p0, kc, j0, nr, packed.floats());
                args.kc = kc;
                args.accumulate = block > 0 || P.accumulate;
                args.finish = block == depth_blocks - 1;
                args.bias = P.bias && !args.accumulate ? P.bias + j0 : nullptr;
                for (int64_t call = first_call; call < end_call; call += step) {
                    const int64_t i = calls.first(call);
                    args.m = calls.first(std::min(call + step, end_call)) - i;
                    args.a = P.a + i * P.a_stride + p0;
                    args.c = P.c + i * P.ldc + j0;
                    ukernel.kernel(args);
                    if (args.finish && after_store)
                        activation_dispatch().table().transcendental_rows(P.activation.kind, args.m, args.n, P.ldc,
                                                                          args.c);
                }
            }
        }
    });
}

// sums[m x n] (rows `stride` apart) = op(A) op(B) for a few rows, B read in
// place (gemm_rows.h), the columns shared out between the threads.
void multiply_few_rows(const fovea_gemm_desc &d, gemm::RowsKernel kernel, const float *rows, int64_t row_stride,
                       const float *b, float *sums, int64_t stride) {
    const gemm::RowsArgs args{rows, row_stride, d.m, d.k, b, d.ldb, d.trans_b != 0, sums, stride};
    const bool small = double(d.m) * double(d.n) * double(d.k) < kParallelFlops;
    // One run of columns a thread, as long as can be: B is read along its
    // rows, and the longer the run of each row, the closer the memory comes
    // to its streaming pace. (The runs change nothing in the sums.)
    const int64_t runs = small ? 1 : std::clamp<int64_t>((d.n + 255) / 256, 1, fovea_threads_get());
    const int64_t run = ((d.n + runs - 1) / runs + 15) / 16 * 16;
    parallel_for(runs, 1, [&](int64_t begin, int64_t end) {
        for (int64_t r = begin; r < end; ++r) kernel(args, std::min(d.n, r * run), std::min(d.n, (r + 1) * run));
    });
}

bool reads_b_in_place(const fovea_gemm_desc &d) {
    return d.m <= kFewRows || (d.m <= kSomeRows && double(d.k) * double(d.n) * sizeof(float) > kStreamedBytes);
}

// op(A) as m rows of k: a transposed A (stored k x m) copied into rows.
Workspace rows_of_transposed(const fovea_gemm_desc &d, const float *a) {
    Workspace rows = floats(d.m * d.k);
    constexpr int64_t kBand = 16;  // rows of op(A) per pass: each column of A is read 16 values at a time
    const int64_t bands = (d.m + kBand - 1) / kBand;
    const bool small = double(d.m) * double(d.k) < kParallelFlops;
    float *out = rows.floats();
    parallel_for(bands, small ? bands : grain_for(bands), [&](int64_t begin, int64_t end) {
        for (int64_t band = begin; band < end; ++band) {
            const int64_t i0 = band * kBand, i1 = std::min(d.m, i0 + kBand);
            for (int64_t p = 0; p < d.k; ++p)
                for (int64_t i = i0; i < i1; ++i) out[i * d.k + p] = a[p * d.lda + i];
        }
    });
    return rows;
}

}  // namespace

fovea_status gemm_packed(const fovea_gemm_desc *desc, const float *a, const float *b, const float *bias, float *c) {
    const fovea_gemm_desc &d = *desc;
    if (d.m <= 0 || d.n <= 0) return FOVEA_STATUS_SUCCESS;
    const fovea_isa isa = active_isa();
    const gemm::UkernelInfo ukernel = gemm::ukernel_for(isa, d.n);
    const bool product = d.k > 0;  // otherwise op(A) op(B) is zero
    Workspace transposed;
    if (d.trans_a && product) transposed = rows_of_transposed(d, a);
    const float *rows = d.trans_a ? transposed.floats() : a;
    const int64_t row_stride = d.trans_a ? d.k : d.lda;

    // The microkernels add a bias to a fresh product, or a product to C, and
    // apply the activation: that covers alpha == 1 with beta == 0, and beta ==
    // 1 without a bias. Anything else multiplies into scratch, and one pass
    // over C combines the terms as the reference does.
    const bool direct = product && !reads_b_in_place(d) && d.alpha == 1.0f && (d.beta == 0.0f || (d.beta == 1.0f && !bias));
    if (direct) {
        Workspace padded_bias;
        if (bias) {
            const int64_t width = (d.n + ukernel.nr - 1) / ukernel.nr * ukernel.nr;
            padded_bias = floats(width);
            std::copy(bias, bias + d.n, padded_bias.floats());
            std::fill(padded_bias.floats() + d.n, padded_bias.floats() + width, 0.0f);
        }
        multiply({d, rows, row_stride, b, padded_bias.floats(), c, d.ldc, d.beta == 1.0f, d.activation}, ukernel);
        return FOVEA_STATUS_SUCCESS;
    }
    // Rows of whole cache lines, so that threads writing neighbouring columns
    // never share a line (with 1000 columns they did, in every other row,
    // and two threads ran no faster than one).
    const int64_t stride = (d.n + 15) / 16 * 16;
    Workspace sums = floats(d.m * stride);
    if (!product) std::fill(sums.floats(), sums.floats() + d.m * stride, 0.0f);
    else if (reads_b_in_place(d)) multiply_few_rows(d, gemm::rows_kernel(isa), rows, row_stride, b, sums.floats(), stride);
    else multiply({d, rows, row_stride, b, nullptr, sums.floats(), stride, false, {FOVEA_ACTIVATION_NONE, 0, 0}}, ukernel);
    const bool small = double(d.m) * double(d.n) < kParallelFlops;
    parallel_for(d.m, small ? d.m : grain_for(d.m), [&](int64_t begin, int64_t end) {
        for (int64_t i = begin; i < end; ++i) {
            float *row = c + i * d.ldc;
            const float *sum = sums.floats() + i * stride;
            for (int64_t j = 0; j < d.n; ++j) {
                double v = double(d.alpha) * double(sum[j]);
                if (d.beta != 0.0f) v += double(d.beta) * double(row[j]);
                if (bias) v += double(bias[j]);
                row[j] = reference::activate(d.activation, float(v));
            }
        }
    });
    return FOVEA_STATUS_SUCCESS;
}

}  // namespace fovea
