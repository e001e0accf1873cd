// Gram SYRK compiled for AVX-512: 8 rows x 32 columns (16 accumulators), or
// 12 x 32 (24) from 128 channels on. The taller tile reads each loaded panel
// row for more FMAs, but its row tiles overrun the diagonal further and, with
// few channels, pad more: 8 rows are faster at 64 and 77 channels, 12 rows
// 5-18 % faster from 128 to 512 (measured, panels outermost).
// From 384 channels on, one thread packs each block: read in place, a
// panel's rows lie C floats apart, a multiple of 2 KB that maps them onto a
// few L1 sets, and the panel cannot stay in L1 across the row tiles (Emerald
// Rapids, core cycles: 512 channels over 28x28 pixels 4.55-4.74 -> 4.02-4.19
// million, over 32x32 6.06-6.08 -> 5.34-5.42, 384 over 28x28 2.42 -> 2.22-2.35;
// 256 channels 1-4 % slower packed, and left in place).
#if defined(__x86_64__)
#include <immintrin.h>

#include <algorithm>

#include "common/target.h"
#include "gram/gram_syrk_kernels.h"

namespace fovea::gram {
namespace {
// r[0..15] (rows of a 16 x 16 tile) into its columns, in place.
FOVEA_TARGET_AVX512 void transpose_16x16(__m512 (&r)[16]) {
    __m512 t[16], u[16];
    for (int k = 0; k < 8; ++k) {
        t[2 * k] = _mm512_unpacklo_ps(r[2 * k], r[2 * k + 1]);
        t[2 * k + 1] = _mm512_unpackhi_ps(r[2 * k], r[2 * k + 1]);
    }
    // u[4k + m], 128-bit lane l: rows 4k..4k+3 of column 4l + m.
    for (int k = 0; k < 4; ++k) {
        u[4 * k] = _mm512_shuffle_ps(t[4 * k], t[4 * k + 2], 0x44);
        u[4 * k + 1] = _mm512_shuffle_ps(t[4 * k], t[4 * k + 2], 0xEE);
        u[4 * k + 2] = _mm512_shuffle_ps(t[4 * k + 1], t[4 * k + 3], 0x44);
        u[4 * k + 3] = _mm512_shuffle_ps(t[4 * k + 1], t[4 * k + 3], 0xEE);
    }
    for (int m = 0; m < 4; ++m) {
        const __m512 low_even = _mm512_shuffle_f32x4(u[m], u[4 + m], 0x88);   // columns m, 8+m of rows 0-7
        const __m512 low_odd = _mm512_shuffle_f32x4(u[m], u[4 + m], 0xDD);    // columns 4+m, 12+m
        const __m512 high_even = _mm512_shuffle_f32x4(u[8 + m], u[12 + m], 0x88);  // the same, rows 8-15
        const __m512 high_odd = _mm512_shuffle_f32x4(u[8 + m], u[12 + m], 0xDD);
        r[m] = _mm512_shuffle_f32x4(low_even, high_even, 0x88);
        r[8 + m] = _mm512_shuffle_f32x4(low_even, high_even, 0xDD);
        r[4 + m] = _mm512_shuffle_f32x4(low_odd, high_odd, 0x88);
        r[12 + m] = _mm512_shuffle_f32x4(low_odd, high_odd, 0xDD);
    }
}

// Whole 16 x 16 tiles transpose in registers; tiles cut by the last column
// or row go through mirror_tile. Through mirror_tile alone, the mirror of a
// 512-channel G took 85 us (a sixteenth of gram_b); with this, gram_b ran in
// 4.46-4.48 million core cycles instead of 4.69-5.18 (Emerald Rapids, one
// thread, `fovea-bench conv-layers --cycles`, three interleaved pairs).
FOVEA_TARGET_AVX512 void mirror_16(int64_t C, float scale, float *g, int64_t begin, int64_t end) {
    const __m512 s = _mm512_set1_ps(scale);
    for (int64_t i0 = begin * 16; i0 < std::min(C, end * 16); i0 += 16)
        for (int64_t j0 = i0; j0 < C; j0 += 16) {
            if (i0 + 16 > C || j0 + 16 > C) {
                mirror_tile(C, scale, g, i0, j0, std::min<int64_t>(16, C - i0), std::min<int64_t>(16, C - j0));
                continue;
            }
            // The rows that the next tile's transpose writes, whose lines
            // are rarely in cache: 1-2 % of gram_b.
            if (j0 + 32 <= C)
                for (int j = 0; j < 16; ++j) __builtin_prefetch(g + (j0 + 16 + j) * C + i0, 1, 3);
            __m512 r[16];
            for (int i = 0; i < 16; ++i) r[i] = _mm512_mul_ps(_mm512_loadu_ps(g + (i0 + i) * C + j0), s);
            if (j0 > i0) {
                for (int i = 0; i < 16; ++i) _mm512_storeu_ps(g + (i0 + i) * C + j0, r[i]);
                transpose_16x16(r);
                for (int j = 0; j < 16; ++j) _mm512_storeu_ps(g + (j0 + j) * C + i0, r[j]);
                continue;
            }
            // On the diagonal: row i keeps lanes i.. (its upper part) and takes
            // lanes ..i-1 from the transpose.
            __m512 t[16];
            for (int i = 0; i < 16; ++i) t[i] = r[i];
            transpose_16x16(t);
            for (int i = 0; i < 16; ++i)
                _mm512_storeu_ps(g + (i0 + i) * C + j0, _mm512_mask_blend_ps(__mmask16((1u << i) - 1), r[i], t[i]));
        }
}

FOVEA_TARGET_AVX512 void pack_8x32(const Block &b) { pack<16, 8, 2>(b); }
FOVEA_TARGET_AVX512 void multiply_8x32(const Block &b, int64_t begin, int64_t end) { multiply<16, 8, 2>(b, begin, end); }
FOVEA_TARGET_AVX512 void pack_12x32(const Block &b) { pack<16, 12, 2>(b); }
FOVEA_TARGET_AVX512 void multiply_12x32(const Block &b, int64_t begin, int64_t end) {
    multiply<16, 12, 2>(b, begin, end);
}
}  // namespace

Implementation implementation_avx512(int64_t channels, bool alone) {
    if (alone && channels >= 384) return {pack_12x32, multiply_12x32, {12, 32, true}, mirror_16, 16};
    if (channels >= 128) return {pack_12x32, multiply_12x32, {12, 32}, mirror_16, 16};
    return {pack_8x32, multiply_8x32, {8, 32}, mirror_16, 16};
}

}  // namespace fovea::gram
#endif
