// Portable microkernel: 4 rows x 16 columns in plain C++. The compiler may
// vectorise it with the baseline instruction set; nothing here depends on it.
#include <algorithm>

#include "gemm/ukernel.h"
#include "reference/reference.h"

namespace fovea::gemm {
namespace {

constexpr int MR = 4;
constexpr int NR = 16;

void ukernel_4x16(const UkernelArgs &p) {
    float acc[MR][NR];
    for (int m = 0; m < MR; ++m)
        for (int j = 0; j < NR; ++j)
            acc[m][j] = p.accumulate ? (m < p.m && j < p.n ? p.c[m * p.ldc + j] : 0.0f)
                                     : (p.bias ? p.bias[j] : 0.0f);
    const float *rows[MR];
    for (int m = 0; m < MR; ++m) rows[m] = p.a + (m < p.m ? m : 0) * p.a_row_stride;
    for (int64_t t = 0; t < p.taps; ++t) {
        const int64_t offset = p.tap_offsets ? p.tap_offsets[t] : 0;
        const float *b = p.b + t * p.b_tap_stride;
        for (int64_t k = 0; k < p.kc; ++k, b += NR) {
            for (int m = 0; m < MR; ++m) {
                const float a = rows[m][offset + k];
                for (int j = 0; j < NR; ++j) acc[m][j] += a * b[j];
            }
        }
    }
    // Like the SIMD kernels, fuse only the cheap activations; the drivers apply
    // sigmoid and tanh after the tile is stored.
    const bool fused = p.finish && p.activation.kind != FOVEA_ACTIVATION_SIGMOID &&
                       p.activation.kind != FOVEA_ACTIVATION_TANH;
    for (int m = 0; m < std::min<int64_t>(MR, p.m); ++m)
        for (int j = 0; j < std::min<int64_t>(NR, p.n); ++j)
            p.c[m * p.ldc + j] = fused ? reference::activate(p.activation, acc[m][j]) : acc[m][j];
}

}  // namespace

UkernelInfo ukernel_scalar() { return {ukernel_4x16, MR, NR}; }

}  // namespace fovea::gemm
