// Products of a few rows (a matrix times a vector, a small batch through a
// dense layer): packing B for them would cost more than multiplying it, so B
// is read once, in place, along its rows. Written once over simd::Vec<W> and
// compiled per instruction set (gemm_rows_<isa>.cpp).
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "common/vec.h"
#include "fovea_kernels.h"

namespace fovea::gemm {

// sums[i * sums_stride + j] = sum over p of a[i * a_stride + p] * op(B)(p, j),
// for rows i < m and columns [j0, j1).
struct RowsArgs {
    const float *a;
    int64_t a_stride, m, k;
    const float *b;
    int64_t ldb;
    bool trans_b;  // B stored n x k
    float *sums;
    int64_t sums_stride;
};

using RowsKernel = void (*)(const RowsArgs &, int64_t j0, int64_t j1);
RowsKernel rows_kernel_scalar();
#if defined(__x86_64__)
RowsKernel rows_kernel_avx2();
RowsKernel rows_kernel_avx512();
#endif
// The kernel of an instruction-set level the machine allows.
RowsKernel rows_kernel(fovea_isa isa);

template <int W>
inline __attribute__((always_inline)) void rows_times_b(const RowsArgs &r, int64_t j0, int64_t j1) {
    using simd::Vec;
    if (r.trans_b) {
        // Column j of op(B) is row j of B: a dot product per row of A, over
        // two accumulators so that consecutive FMAs do not wait on each other.
        for (int64_t j = j0; j < j1; ++j) {
            const float *column = r.b + j * r.ldb;
            for (int64_t i = 0; i < r.m; ++i) {
                const float *row = r.a + i * r.a_stride;
                Vec<W> even = 0, odd = 0, x, y;
                int64_t p = 0;
                for (; p + 2 * W <= r.k; p += 2 * W) {
                    simd::load<W>(x, row + p, W), simd::load<W>(y, column + p, W);
                    even = even + x * y;
                    simd::load<W>(x, row + p + W, W), simd::load<W>(y, column + p + W, W);
                    odd = odd + x * y;
                }
                for (; p < r.k; p += W) {
                    simd::load<W>(x, row + p, r.k - p), simd::load<W>(y, column + p, r.k - p);
                    even = even + x * y;
                }
                const Vec<W> both = even + odd;
                float total = 0.0f;
                for (int lane = 0; lane < W; ++lane) total += both[lane];
                r.sums[i * r.sums_stride + j] = total;
            }
        }
        return;
    }
    // Row p of B adds a[i][p] times itself to every row i of the sums, in
    // increasing p. Four rows of B are read together, each along all the
    // columns (whole runs stream from memory at its full pace), and each
    // vector of them serves every row of A before the next is loaded.
    for (int64_t i = 0; i < r.m; ++i) std::fill(r.sums + i * r.sums_stride + j0, r.sums + i * r.sums_stride + j1, 0.0f);
    const int64_t width = j1 - j0;
    float *const sums = r.sums + j0;
    int64_t p = 0;
    for (; p + 4 <= r.k; p += 4) {
        const float *b0 = r.b + p * r.ldb + j0, *b1 = b0 + r.ldb, *b2 = b1 + r.ldb, *b3 = b2 + r.ldb;
        const float *a = r.a + p;
        // Whole vectors first, then the last few columns: the masks of a
        // partial vector in every load would weigh on the loop.
        const int64_t whole = width / W * W;
        for (int64_t j = 0; j < width; j += W) {
            const int64_t valid = j < whole ? W : width - j;
            Vec<W> x0, x1, x2, x3;
            if (valid == W) {
                std::memcpy(&x0, b0 + j, sizeof x0), std::memcpy(&x1, b1 + j, sizeof x1);
                std::memcpy(&x2, b2 + j, sizeof x2), std::memcpy(&x3, b3 + j, sizeof x3);
                for (int64_t i = 0; i < r.m; ++i) {
                    const float *ai = a + i * r.a_stride;
                    float *row = sums + i * r.sums_stride + j;
                    Vec<W> s;
                    std::memcpy(&s, row, sizeof s);
                    s = s + ai[0] * x0;
                    s = s + ai[1] * x1;
                    s = s + ai[2] * x2;
                    s = s + ai[3] * x3;
                    std::memcpy(row, &s, sizeof s);
                }
                continue;
            }
            simd::load<W>(x0, b0 + j, valid), simd::load<W>(x1, b1 + j, valid);
            simd::load<W>(x2, b2 + j, valid), simd::load<W>(x3, b3 + j, valid);
            for (int64_t i = 0; i < r.m; ++i) {
                const float *ai = a + i * r.a_stride;
                float *row = sums + i * r.sums_stride + j;
                Vec<W> s;
                simd::load<W>(s, row, valid);
                s = s + ai[0] * x0;
                s = s + ai[1] * x1;
                s = s + ai[2] * x2;
                s = s + ai[3] * x3;
                simd::store<W>(row, s, valid);
            }
        }
    }
    for (; p < r.k; ++p) {
        const float *b0 = r.b + p * r.ldb + j0;
        for (int64_t j = 0; j < width; j += W) {
            const int64_t valid = width - j;
            Vec<W> x0, s;
            simd::load<W>(x0, b0 + j, valid);
            for (int64_t i = 0; i < r.m; ++i) {
                float *row = sums + i * r.sums_stride + j;
                simd::load<W>(s, row, valid);
                s = s + r.a[i * r.a_stride + p] * x0;
                simd::store<W>(row, s, valid);
            }
        }
    }
}

}  // namespace fovea::gemm
