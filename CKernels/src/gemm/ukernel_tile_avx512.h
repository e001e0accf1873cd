// An AVX-512 microkernel tile of M rows and NV vectors (16 floats each) of
// columns, with its accumulators in registers, written with intrinsics. It
// serves the narrow kernels (12x32, 16x16) and the short tiles of the 7x64
// kernel, whose assembly loop always computes seven rows. With one or two
// rows the FMA latency rather than its throughput would bound a single chain
// per accumulator, so even and odd depth steps then accumulate separately.
// PANEL: floats per depth step of the packed B panel, which a tile may use
// only the first NV vectors of (see narrow_kernel).
#pragma once
#if defined(__x86_64__)
#include <immintrin.h>

#include "common/target.h"
#include "gemm/ukernel.h"
#include "gemm/ukernel_epilogue_avx512.h"

namespace fovea::gemm {

template <int M, int NV, int PANEL = NV * 16>
FOVEA_TARGET_AVX512 __attribute__((noinline)) void tile_avx512(const UkernelArgs &p) {
    constexpr int NR = PANEL;
    constexpr int SETS = M <= 2 ? 2 : 1;
    __m512 acc[SETS][M][NV];
#pragma unroll
    for (int v = 0; v < NV; ++v) {
        const __mmask16 mask = column_mask_avx512(p.n, v);
        const __m512 init = p.bias && !p.accumulate ? _mm512_loadu_ps(p.bias + v * 16) : _mm512_setzero_ps();
#pragma unroll
        for (int m = 0; m < M; ++m) {
            acc[0][m][v] = p.accumulate ? _mm512_maskz_loadu_ps(mask, p.c + m * p.ldc + v * 16) : init;
            if (SETS == 2) acc[SETS - 1][m][v] = _mm512_setzero_ps();
        }
    }
    // Two lines of the prefetch hint per pass of the depth loop, into L2 (see
    // full_tile).
    const char *pf = reinterpret_cast<const char *>(p.prefetch);
    const char *const pf_end = pf ? pf + p.prefetch_lines * 64 : pf;
    for (int64_t t = 0; t < p.taps; ++t) {
        const float *a = p.a + (p.tap_offsets ? p.tap_offsets[t] : 0);
        const float *b = p.b + t * p.b_tap_stride;
        int64_t k = 0;
        for (; k + SETS <= p.kc; k += SETS, b += SETS * NR) {
            if (pf < pf_end) {
                _mm_prefetch(pf, _MM_HINT_T1);
                _mm_prefetch(pf + 64, _MM_HINT_T1);
                pf += 128;
            }
#pragma unroll
            for (int s = 0; s < SETS; ++s) {
                __m512 bv[NV];
#pragma unroll
                for (int v = 0; v < NV; ++v) bv[v] = _mm512_load_ps(b + s * NR + v * 16);
#pragma unroll
                for (int m = 0; m < M; ++m) {
                    const __m512 am = _mm512_set1_ps(a[m * p.a_row_stride + k + s]);
#pragma unroll
                    for (int v = 0; v < NV; ++v) acc[s][m][v] = _mm512_fmadd_ps(am, bv[v], acc[s][m][v]);
                }
            }
        }
        for (; k < p.kc; ++k, b += NR)
#pragma unroll
            for (int m = 0; m < M; ++m) {
                const __m512 am = _mm512_set1_ps(a[m * p.a_row_stride + k]);
#pragma unroll
                for (int v = 0; v < NV; ++v)
                    acc[0][m][v] = _mm512_fmadd_ps(am, _mm512_load_ps(b + v * 16), acc[0][m][v]);
            }
    }
    if constexpr (SETS == 2)
#pragma unroll
        for (int m = 0; m < M; ++m)
#pragma unroll
            for (int v = 0; v < NV; ++v) acc[0][m][v] = _mm512_add_ps(acc[0][m][v], acc[1][m][v]);
    store_tile_avx512<M, NV>(p, acc[0], M);
}

}  // namespace fovea::gemm
#endif
