// NEON SGEMM (AArch64), on the microkernel the convolutions multiply with
// (gemm/ukernel.h, sgemm_ukernel_6x16_neon.cpp). The x86 drivers' register
// blocks fold alpha, beta, bias and the activation into their stores; here
// the microkernel sums A * B into a tile buffer and one pass per block
// applies them, which costs O(m n) beside the O(m n k) of the products.
//
// Same arithmetic order as the x86 drivers: one FMA per k in increasing k,
// whatever the blocking and thread count. beta == 0 never reads C.
#if defined(__aarch64__)
#include <algorithm>
#include <cstdint>

#include "gemm/gemm_kernels.h"
#include "gemm/ukernel.h"
#include "reference/reference.h"
#include "threadpool/threadpool.h"

namespace fovea {
namespace {

constexpr int64_t kKC = 256;  // depth of one packed panel
constexpr int64_t kMC = 72;   // rows per task, a multiple of the kernel's 6
constexpr int64_t kNC = 256;  // columns per task, a multiple of its 16
constexpr int64_t kNR = 16;   // the panel width of ukernel_neon

struct Problem {
    const fovea_gemm_desc &d;
    const float *a;
    const float *b;
    const float *bias;
    float *c;
    gemm::UkernelInfo ukernel;
};

// op(B)[p0 : p0+kc, j0 : j0+nr] into panel[kc][nr]; columns past n are zeros.
void pack_b(const Problem &P, int64_t p0, int64_t kc, int64_t j0, float *panel) {
    const fovea_gemm_desc &d = P.d;
    const int64_t nr = kNR, cols = std::min(nr, d.n - j0);
    for (int64_t p = 0; p < kc; ++p) {
        float *dst = panel + p * nr;
        for (int64_t j = 0; j < cols; ++j) dst[j] = d.trans_b ? P.b[(j0 + j) * d.ldb + p0 + p] : P.b[(p0 + p) * d.ldb + j0 + j];
        std::fill(dst + cols, dst + nr, 0.0f);
    }
}

// op(A)[r0 : r1, p0 : p0+kc] row-major into rows kc apart: the microkernel
// reads each row's depth contiguously. Only a transposed A needs this.
void pack_a(const Problem &P, int64_t r0, int64_t r1, int64_t p0, int64_t kc, float *rows) {
    const fovea_gemm_desc &d = P.d;
    for (int64_t i = r0; i < r1; ++i)
        for (int64_t p = 0; p < kc; ++p) rows[(i - r0) * kc + p] = P.a[(p0 + p) * d.lda + i];
}

// C = act(alpha * sums + beta * C + bias) for rows [r0, r1) x columns [c0, c1),
// the sums `ld` floats a row.
void store(const Problem &P, int64_t r0, int64_t r1, int64_t c0, int64_t c1, const float *sums, int64_t ld) {
    const fovea_gemm_desc &d = P.d;
    for (int64_t i = r0; i < r1; ++i) {
        float *row = P.c + i * d.ldc;
        const float *sum = sums + (i - r0) * ld - c0;
        for (int64_t j = c0; j < c1; ++j) {
            float v = d.alpha * sum[j];
            if (d.beta != 0.0f) v = d.beta * row[j] + v;
            if (P.bias) v += P.bias[j];
            row[j] = reference::activate(d.activation, v);
        }
    }
}

// Rows [r0, r1) x columns [c0, c1): one task of the parallel loop. Depth
// block by depth block, a transposed A is packed once for all the task's
// columns, and the sums of all of them wait in `sums` for the last block.
void run_task(const Problem &P, int64_t r0, int64_t r1, int64_t c0, int64_t c1) {
    const fovea_gemm_desc &d = P.d;
    const int64_t mr = P.ukernel.mr, nr = kNR;
    const int64_t ld = (c1 - c0 + nr - 1) / nr * nr;
    alignas(64) float panel[kKC * kNR];
    alignas(64) float sums[kMC * kNC];
    alignas(64) float rows[kMC * kKC];  // a transposed A's rows, depth-contiguous
    gemm::UkernelArgs args{};
    args.taps = 1;
    args.ldc = ld;
    args.n = nr;
    if (d.k == 0) std::fill(sums, sums + (r1 - r0) * ld, 0.0f);
    for (int64_t p0 = 0; p0 < d.k; p0 += kKC) {
        const int64_t kc = std::min(kKC, d.k - p0);
        if (d.trans_a) pack_a(P, r0, r1, p0, kc, rows);
        args.b = panel;
        args.kc = kc;
        args.accumulate = p0 > 0;
        args.a_row_stride = d.trans_a ? kc : d.lda;
        for (int64_t j0 = c0; j0 < c1; j0 += nr) {
            pack_b(P, p0, kc, j0, panel);
            for (int64_t i0 = r0; i0 < r1; i0 += mr) {
                args.a = d.trans_a ? rows + (i0 - r0) * kc : P.a + i0 * d.lda + p0;
                args.c = sums + (i0 - r0) * ld + (j0 - c0);
                args.m = std::min(mr, r1 - i0);
                P.ukernel.kernel(args);
            }
        }
    }
    store(P, r0, r1, c0, c1, sums, ld);
}

}  // namespace

fovea_status gemm_neon(const fovea_gemm_desc *desc, const float *a, const float *b, const float *bias,
                       float *c) {
    const gemm::UkernelInfo ukernel = gemm::ukernel_neon();
    const fovea_gemm_desc &d = *desc;
    if (d.m <= 0 || d.n <= 0) return FOVEA_STATUS_SUCCESS;
    const Problem P{d, a, b, bias, c, ukernel};
    for_each_gemm_block(d, kMC, kNC,
                        [&](int64_t r0, int64_t r1, int64_t c0, int64_t c1) { run_task(P, r0, r1, c0, c1); });
    return FOVEA_STATUS_SUCCESS;
}

}  // namespace fovea
#endif  // __aarch64__
