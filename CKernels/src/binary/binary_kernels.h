// Broadcasting binary operations, vectorised along the innermost axis when
// both operands step through it by 0 (broadcast) or 1 (contiguous), which is
// every NHWC case that matters: residual adds, per-channel scales, biases.
// Written over a generic vector (common/vec.h), instantiated per ISA by
// binary_*.cpp; NaN handling agrees with the reference (max and min
// propagate NaN, as numpy does).
#pragma once

#include <cstdint>

#include "common/vec.h"
#include "fovea_kernels.h"

namespace fovea::binary {

using simd::Vec;

template <int W>
inline __attribute__((always_inline)) void apply(fovea_binary_op op, const Vec<W> &a, const Vec<W> &b, Vec<W> &y) {
    switch (op) {
        case FOVEA_BINARY_ADD: y = a + b; break;
        case FOVEA_BINARY_SUBTRACT: y = a - b; break;
        case FOVEA_BINARY_MULTIPLY: y = a * b; break;
        case FOVEA_BINARY_DIVIDE: y = a / b; break;
        case FOVEA_BINARY_MAXIMUM: y = a != a ? a : (b != b ? b : (a < b ? b : a)); break;
        case FOVEA_BINARY_MINIMUM: y = a != a ? a : (b != b ? b : (b < a ? b : a)); break;
    }
}

struct Args {
    fovea_binary_op op;
    int32_t rank;  // >= 1
    const int64_t *shape;
    const float *a;
    const int64_t *a_strides;
    const float *b;
    const int64_t *b_strides;
    float *y;
};

// Rows [begin, end) of y viewed as [outer, inner], inner = shape[rank - 1].
template <int W>
inline __attribute__((always_inline)) void rows(const Args &g, int64_t begin, int64_t end) {
    const int64_t inner = g.shape[g.rank - 1];
    const bool a_step = g.a_strides[g.rank - 1] != 0, b_step = g.b_strides[g.rank - 1] != 0;
    for (int64_t r = begin; r < end; ++r) {
        // The operands' offsets of row r.
        int64_t a_offset = 0, b_offset = 0, rest = r;
        for (int32_t d = g.rank - 2; d >= 0; --d) {
            const int64_t i = rest % g.shape[d];
            rest /= g.shape[d];
            a_offset += i * g.a_strides[d];
            b_offset += i * g.b_strides[d];
        }
        const float *a = g.a + a_offset, *b = g.b + b_offset;
        float *y = g.y + r * inner;
        for (int64_t i = 0; i < inner; i += W) {
            const int64_t valid = inner - i;
            Vec<W> va, vb;
            if (a_step) simd::load<W>(va, a + i, valid);
            else va = a[0];
            if (b_step) simd::load<W>(vb, b + i, valid);
            else vb = b[0];
            Vec<W> result;
            apply<W>(g.op, va, vb, result);
            simd::store<W>(y + i, result, valid);
        }
    }
}

using Kernel = void (*)(const Args &, int64_t, int64_t);
Kernel kernel_scalar();
#if defined(__x86_64__)
Kernel kernel_avx2();
Kernel kernel_avx512();
#endif

}  // namespace fovea::binary
