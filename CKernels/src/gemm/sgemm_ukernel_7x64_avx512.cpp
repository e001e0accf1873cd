// AVX-512 microkernel: 7 rows x 64 columns (4 zmm), 28 accumulators.
//
// Seven broadcasts feed 28 FMAs per depth step, and the common output widths
// (7, 14, 28, 56, 112, 224) are multiples of 7. 28 accumulators, three B
// vectors and one broadcast use all 32 registers; the fourth B vector is read
// as a memory operand. Compilers do not find that allocation (they spill), so
// the depth loop is written in assembly; everything around it is C++.
#if defined(__x86_64__)
#include <immintrin.h>

#include "common/target.h"
#include "gemm/ukernel.h"
#include "gemm/ukernel_epilogue_avx512.h"
#include "gemm/ukernel_tile_avx512.h"

namespace fovea::gemm {
namespace {

constexpr int MR = 7;
constexpr int NR = 64;

// acc[7][64] += rows[m][0..kc) (x) b[kc][64]; rows are pointers to A rows.
FOVEA_TARGET_AVX512 void depth_loop(const float *a0, const float *a1, const float *a2,
                                    const float *a3, const float *a4, const float *a5,
                                    const float *a6, const float *b, int64_t kc, float *acc) {
    int64_t k = 0;
    __asm__ volatile(
        "vmovups 0(%[acc]), %%zmm0\n\t"
        "vmovups 64(%[acc]), %%zmm1\n\t"
        "vmovups 128(%[acc]), %%zmm2\n\t"
        "vmovups 192(%[acc]), %%zmm3\n\t"
        "vmovups 256(%[acc]), %%zmm4\n\t"
        "vmovups 320(%[acc]), %%zmm5\n\t"
        "vmovups 384(%[acc]), %%zmm6\n\t"
        "vmovups 448(%[acc]), %%zmm7\n\t"
        "vmovups 512(%[acc]), %%zmm8\n\t"
        "vmovups 576(%[acc]), %%zmm9\n\t"
        "vmovups 640(%[acc]), %%zmm10\n\t"
        "vmovups 704(%[acc]), %%zmm11\n\t"
        "vmovups 768(%[acc]), %%zmm12\n\t"
        "vmovups 832(%[acc]), %%zmm13\n\t"
        "vmovups 896(%[acc]), %%zmm14\n\t"
        "vmovups 960(%[acc]), %%zmm15\n\t"
        "vmovups 1024(%[acc]), %%zmm16\n\t"
        "vmovups 1088(%[acc]), %%zmm17\n\t"
        "vmovups 1152(%[acc]), %%zmm18\n\t"
        "vmovups 1216(%[acc]), %%zmm19\n\t"
        "vmovups 1280(%[acc]), %%zmm20\n\t"
        "vmovups 1344(%[acc]), %%zmm21\n\t"
        "vmovups 1408(%[acc]), %%zmm22\n\t"
        "vmovups 1472(%[acc]), %%zmm23\n\t"
        "vmovups 1536(%[acc]), %%zmm24\n\t"
        "vmovups 1600(%[acc]), %%zmm25\n\t"
        "vmovups 1664(%[acc]), %%zmm26\n\t"
        "vmovups 1728(%[acc]), %%zmm27\n\t"
        "test %[kc], %[kc]\n\t"
        "jz 2f\n\t"
        ".p2align 5\n"
        "1:\n\t"
        "vmovaps (%[b]), %%zmm28\n\t"
        "vmovaps 64(%[b]), %%zmm29\n\t"
        "vmovaps 128(%[b]), %%zmm30\n\t"
        "vbroadcastss (%[a0],%[k],4), %%zmm31\n\t"
        "vfmadd231ps %%zmm28, %%zmm31, %%zmm0\n\t"
        "vfmadd231ps %%zmm29, %%zmm31, %%zmm1\n\t"
        "vfmadd231ps %%zmm30, %%zmm31, %%zmm2\n\t"
        "vfmadd231ps 192(%[b]), %%zmm31, %%zmm3\n\t"
        "vbroadcastss (%[a1],%[k],4), %%zmm31\n\t"
        "vfmadd231ps %%zmm28, %%zmm31, %%zmm4\n\t"
        "vfmadd231ps %%zmm29, %%zmm31, %%zmm5\n\t"
        "vfmadd231ps %%zmm30, %%zmm31, %%zmm6\n\t"
        "vfmadd231ps 192(%[b]), %%zmm31, %%zmm7\n\t"
        "vbroadcastss (%[a2],%[k],4), %%zmm31\n\t"
        "vfmadd231ps %%zmm28, %%zmm31, %%zmm8\n\t"
        "vfmadd231ps %%zmm29, %%zmm31, %%zmm9\n\t"
        "vfmadd231ps %%zmm30, %%zmm31, %%zmm10\n\t"
        "vfmadd231ps 192(%[b]), %%zmm31, %%zmm11\n\t"
        "vbroadcastss (%[a3],%[k],4), %%zmm31\n\t"
        "vfmadd231ps %%zmm28, %%zmm31, %%zmm12\n\t"
        "vfmadd231ps %%zmm29, %%zmm31, %%zmm13\n\t"
        "vfmadd231ps %%zmm30, %%zmm31, %%zmm14\n\t"
        "vfmadd231ps 192(%[b]), %%zmm31, %%zmm15\n\t"
        "vbroadcastss (%[a4],%[k],4), %%zmm31\n\t"
        "vfmadd231ps %%zmm28, %%zmm31, %%zmm16\n\t"
        "vfmadd231ps %%zmm29, %%zmm31, %%zmm17\n\t"
        "vfmadd231ps %%zmm30, %%zmm31, %%zmm18\n\t"
        "vfmadd231ps 192(%[b]), %%zmm31, %%zmm19\n\t"
        "vbroadcastss (%[a5],%[k],4), %%zmm31\n\t"
        "vfmadd231ps %%zmm28, %%zmm31, %%zmm20\n\t"
        "vfmadd231ps %%zmm29, %%zmm31, %%zmm21\n\t"
        "vfmadd231ps %%zmm30, %%zmm31, %%zmm22\n\t"
        "vfmadd231ps 192(%[b]), %%zmm31, %%zmm23\n\t"
        "vbroadcastss (%[a6],%[k],4), %%zmm31\n\t"
        "vfmadd231ps %%zmm28, %%zmm31, %%zmm24\n\t"
        "vfmadd231ps %%zmm29, %%zmm31, %%zmm25\n\t"
        "vfmadd231ps %%zmm30, %%zmm31, %%zmm26\n\t"
        "vfmadd231ps 192(%[b]), %%zmm31, %%zmm27\n\t"
        "add $256, %[b]\n\t"
        "inc %[k]\n\t"
        "cmp %[kc], %[k]\n\t"
        "jne 1b\n"
        "2:\n\t"
        "vmovups %%zmm0, 0(%[acc])\n\t"
        "vmovups %%zmm1, 64(%[acc])\n\t"
        "vmovups %%zmm2, 128(%[acc])\n\t"
        "vmovups %%zmm3, 192(%[acc])\n\t"
        "vmovups %%zmm4, 256(%[acc])\n\t"
        "vmovups %%zmm5, 320(%[acc])\n\t"
        "vmovups %%zmm6, 384(%[acc])\n\t"
        "vmovups %%zmm7, 448(%[acc])\n\t"
        "vmovups %%zmm8, 512(%[acc])\n\t"
        "vmovups %%zmm9, 576(%[acc])\n\t"
        "vmovups %%zmm10, 640(%[acc])\n\t"
        "vmovups %%zmm11, 704(%[acc])\n\t"
        "vmovups %%zmm12, 768(%[acc])\n\t"
        "vmovups %%zmm13, 832(%[acc])\n\t"
        "vmovups %%zmm14, 896(%[acc])\n\t"
        "vmovups %%zmm15, 960(%[acc])\n\t"
        "vmovups %%zmm16, 1024(%[acc])\n\t"
        "vmovups %%zmm17, 1088(%[acc])\n\t"
        "vmovups %%zmm18, 1152(%[acc])\n\t"
        "vmovups %%zmm19, 1216(%[acc])\n\t"
        "vmovups %%zmm20, 1280(%[acc])\n\t"
        "vmovups %%zmm21, 1344(%[acc])\n\t"
        "vmovups %%zmm22, 1408(%[acc])\n\t"
        "vmovups %%zmm23, 1472(%[acc])\n\t"
        "vmovups %%zmm24, 1536(%[acc])\n\t"
        "vmovups %%zmm25, 1600(%[acc])\n\t"
        "vmovups %%zmm26, 1664(%[acc])\n\t"
        "vmovups %%zmm27, 1728(%[acc])\n\t"
        : [b] "+r"(b), [k] "+r"(k)
        : [a0] "r"(a0), [a1] "r"(a1), [a2] "r"(a2), [a3] "r"(a3), [a4] "r"(a4), [a5] "r"(a5),
          [a6] "r"(a6), [kc] "r"(kc), [acc] "r"(acc)
        : "memory", "cc", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15", "xmm16", "xmm17", "xmm18", "xmm19", "xmm20", "xmm21", "xmm22", "xmm23", "xmm24", "xmm25", "xmm26", "xmm27", "xmm28", "xmm29", "xmm30", "xmm31");
}


// The activations full_tile applies in its registers before the store, one
// instruction per accumulator (zmm0-27), in the operand order of
// activate_avx512's max(zero, v) and min(six, .), so a NaN passes through alike.
enum class Clamp : int32_t { none = 0, relu = 1, relu6 = 2 };
#define FOVEA_EACH_ACCUMULATOR(OP)                                                                              \
    OP(0) OP(1) OP(2) OP(3) OP(4) OP(5) OP(6) OP(7) OP(8) OP(9) OP(10) OP(11) OP(12) OP(13) OP(14) OP(15)      \
    OP(16) OP(17) OP(18) OP(19) OP(20) OP(21) OP(22) OP(23) OP(24) OP(25) OP(26) OP(27)
#define FOVEA_RELU(i) "vmaxps %%zmm" #i ", %%zmm31, %%zmm" #i "\n\t"
#define FOVEA_RELU6(i) "vminps %%zmm" #i ", %%zmm30, %%zmm" #i "\n\t"
// One row of the residual (at p0, rows p3 bytes apart) into accumulators a..d.
#define FOVEA_ADD_ROW(a, b, c, d)                                                            \
    "vaddps 0(%[p0]), %%zmm" #a ", %%zmm" #a "\n\t" "vaddps 64(%[p0]), %%zmm" #b ", %%zmm" #b "\n\t"    \
    "vaddps 128(%[p0]), %%zmm" #c ", %%zmm" #c "\n\t" "vaddps 192(%[p0]), %%zmm" #d ", %%zmm" #d "\n\t" \
    "add %[p3], %[p0]\n\t"

// A whole 7-row tile with rows a_row_stride apart: the accumulators stay in
// registers across every tap. Reads the initial tile from `in` (rows
// in_stride bytes apart; stride 0 repeats one row, e.g. a bias), adds the
// residual tile (or nothing, when it is null; rows out_stride bytes apart),
// applies `clamp` and writes the result to `out` (rows out_stride bytes apart).
// Meanwhile it fetches [pf, pf_end) into L2, two lines per depth step: the
// driver's share of the next weight panel. Weights that stream from memory
// (too large for the last-level cache that a network leaves them) otherwise
// arrive at the pace of the loads that miss: on a two-core Intel Xeon guest,
// inside ResNet-50 at one thread, the 14x14x256 Winograd layers took 15-20 %
// less time with it, the 7x7x512 ones and the 1x1 layers on 7x7 maps 10-20 %
// (on Zen 4 the same had made no difference).
FOVEA_TARGET_AVX512 void full_tile(const float *a, int64_t row_stride_bytes, const int64_t *taps, int64_t tap_count,
                                   const float *b, int64_t b_tap_stride_bytes, int64_t kc, const float *in,
                                   int64_t in_stride, const float *residual, float *out, int64_t out_stride,
                                   Clamp clamp, const float *pf, const float *pf_end) {
    static const float six = 6.0f;
    const int32_t clamp_kind = static_cast<int32_t>(clamp);
    const float *p0 = in, *p3 = reinterpret_cast<const float *>(in_stride), *p6 = nullptr, *bk = nullptr;
    int64_t k = 0;
    const int64_t *tap_end = taps + tap_count;
    __asm__ volatile(
        "vmovups 0(%[p0]), %%zmm0\n\t"
        "vmovups 64(%[p0]), %%zmm1\n\t"
        "vmovups 128(%[p0]), %%zmm2\n\t"
        "vmovups 192(%[p0]), %%zmm3\n\t"
        "add %[p3], %[p0]\n\t"
        "vmovups 0(%[p0]), %%zmm4\n\t"
        "vmovups 64(%[p0]), %%zmm5\n\t"
        "vmovups 128(%[p0]), %%zmm6\n\t"
        "vmovups 192(%[p0]), %%zmm7\n\t"
        "add %[p3], %[p0]\n\t"
        "vmovups 0(%[p0]), %%zmm8\n\t"
        "vmovups 64(%[p0]), %%zmm9\n\t"
        "vmovups 128(%[p0]), %%zmm10\n\t"
        "vmovups 192(%[p0]), %%zmm11\n\t"
        "add %[p3], %[p0]\n\t"
        "vmovups 0(%[p0]), %%zmm12\n\t"
        "vmovups 64(%[p0]), %%zmm13\n\t"
        "vmovups 128(%[p0]), %%zmm14\n\t"
        "vmovups 192(%[p0]), %%zmm15\n\t"
        "add %[p3], %[p0]\n\t"
        "vmovups 0(%[p0]), %%zmm16\n\t"
        "vmovups 64(%[p0]), %%zmm17\n\t"
        "vmovups 128(%[p0]), %%zmm18\n\t"
        "vmovups 192(%[p0]), %%zmm19\n\t"
        "add %[p3], %[p0]\n\t"
        "vmovups 0(%[p0]), %%zmm20\n\t"
        "vmovups 64(%[p0]), %%zmm21\n\t"
        "vmovups 128(%[p0]), %%zmm22\n\t"
        "vmovups 192(%[p0]), %%zmm23\n\t"
        "add %[p3], %[p0]\n\t"
        "vmovups 0(%[p0]), %%zmm24\n\t"
        "vmovups 64(%[p0]), %%zmm25\n\t"
        "vmovups 128(%[p0]), %%zmm26\n\t"
        "vmovups 192(%[p0]), %%zmm27\n\t"
        "add %[p3], %[p0]\n\t"
        "3:\n\t"
        "mov (%[taps]), %[p0]\n\t"
        "lea (%[a],%[p0],4), %[p0]\n\t"
        "lea (%[p0],%[rs],2), %[p3]\n\t"
        "add %[rs], %[p3]\n\t"
        "lea (%[p3],%[rs],2), %[p6]\n\t"
        "add %[rs], %[p6]\n\t"
        "mov %[b], %[bk]\n\t"
        "xor %[k], %[k]\n\t"
        ".p2align 5\n"
        "1:\n\t"
        "vmovaps (%[bk]), %%zmm28\n\t"
        "vmovaps 64(%[bk]), %%zmm29\n\t"
        "vmovaps 128(%[bk]), %%zmm30\n\t"
        "vbroadcastss (%[p0]), %%zmm31\n\t"
        "vfmadd231ps %%zmm28, %%zmm31, %%zmm0\n\t"
        "vfmadd231ps %%zmm29, %%zmm31, %%zmm1\n\t"
        "vfmadd231ps %%zmm30, %%zmm31, %%zmm2\n\t"
        "vfmadd231ps 192(%[bk]), %%zmm31, %%zmm3\n\t"
        "vbroadcastss (%[p0],%[rs],1), %%zmm31\n\t"
        "vfmadd231ps %%zmm28, %%zmm31, %%zmm4\n\t"
        "vfmadd231ps %%zmm29, %%zmm31, %%zmm5\n\t"
        "vfmadd231ps %%zmm30, %%zmm31, %%zmm6\n\t"
        "vfmadd231ps 192(%[bk]), %%zmm31, %%zmm7\n\t"
        "vbroadcastss (%[p0],%[rs],2), %%zmm31\n\t"
        "vfmadd231ps %%zmm28, %%zmm31, %%zmm8\n\t"
        "vfmadd231ps %%zmm29, %%zmm31, %%zmm9\n\t"
        "vfmadd231ps %%zmm30, %%zmm31, %%zmm10\n\t"
        "vfmadd231ps 192(%[bk]), %%zmm31, %%zmm11\n\t"
        "vbroadcastss (%[p3]), %%zmm31\n\t"
        "vfmadd231ps %%zmm28, %%zmm31, %%zmm12\n\t"
        "vfmadd231ps %%zmm29, %%zmm31, %%zmm13\n\t"
        "vfmadd231ps %%zmm30, %%zmm31, %%zmm14\n\t"
        "vfmadd231ps 192(%[bk]), %%zmm31, %%zmm15\n\t"
        "vbroadcastss (%[p3],%[rs],1), %%zmm31\n\t"
        "vfmadd231ps %%zmm28, %%zmm31, %%zmm16\n\t"
        "vfmadd231ps %%zmm29, %%zmm31, %%zmm17\n\t"
        "vfmadd231ps %%zmm30, %%zmm31, %%zmm18\n\t"
        "vfmadd231ps 192(%[bk]), %%zmm31, %%zmm19\n\t"
        "vbroadcastss (%[p3],%[rs],2), %%zmm31\n\t"
        "vfmadd231ps %%zmm28, %%zmm31, %%zmm20\n\t"
        "vfmadd231ps %%zmm29, %%zmm31, %%zmm21\n\t"
        "vfmadd231ps %%zmm30, %%zmm31, %%zmm22\n\t"
        "vfmadd231ps 192(%[bk]), %%zmm31, %%zmm23\n\t"
        "vbroadcastss (%[p6]), %%zmm31\n\t"
        "vfmadd231ps %%zmm28, %%zmm31, %%zmm24\n\t"
        "vfmadd231ps %%zmm29, %%zmm31, %%zmm25\n\t"
        "vfmadd231ps %%zmm30, %%zmm31, %%zmm26\n\t"
        "vfmadd231ps 192(%[bk]), %%zmm31, %%zmm27\n\t"
        "add $4, %[p0]\n\t"
        "add $4, %[p3]\n\t"
        "add $4, %[p6]\n\t"
        "cmp %[pf_end], %[pf]\n\t"
        "jae 8f\n\t"
        "prefetcht1 (%[pf])\n\t"
        "prefetcht1 64(%[pf])\n\t"
        "add $128, %[pf]\n"
        "8:\n\t"
        "add $256, %[bk]\n\t"
        "inc %[k]\n\t"
        "cmp %[kc], %[k]\n\t"
        "jne 1b\n\t"
        "add %[bts], %[b]\n\t"
        "add $8, %[taps]\n\t"
        "cmp %[tap_end], %[taps]\n\t"
        "jne 3b\n\t"
        "mov %[residual], %[p0]\n\t"
        "test %[p0], %[p0]\n\t"
        "jz 7f\n\t"
        "mov %[out_stride], %[p3]\n\t"
        FOVEA_ADD_ROW(0, 1, 2, 3) FOVEA_ADD_ROW(4, 5, 6, 7) FOVEA_ADD_ROW(8, 9, 10, 11)
        FOVEA_ADD_ROW(12, 13, 14, 15) FOVEA_ADD_ROW(16, 17, 18, 19) FOVEA_ADD_ROW(20, 21, 22, 23)
        FOVEA_ADD_ROW(24, 25, 26, 27)
        "7:\n\t"
        "cmpl $0, %[clamp]\n\t"
        "je 5f\n\t"
        "vxorps %%zmm31, %%zmm31, %%zmm31\n\t"
        FOVEA_EACH_ACCUMULATOR(FOVEA_RELU)
        "cmpl $1, %[clamp]\n\t"
        "je 5f\n\t"
        "vbroadcastss %[six], %%zmm30\n\t"
        FOVEA_EACH_ACCUMULATOR(FOVEA_RELU6)
        "5:\n\t"
        "mov %[out], %[p0]\n\t"
        "mov %[out_stride], %[p3]\n\t"
        "vmovups %%zmm0, 0(%[p0])\n\t"
        "vmovups %%zmm1, 64(%[p0])\n\t"
        "vmovups %%zmm2, 128(%[p0])\n\t"
        "vmovups %%zmm3, 192(%[p0])\n\t"
        "add %[p3], %[p0]\n\t"
        "vmovups %%zmm4, 0(%[p0])\n\t"
        "vmovups %%zmm5, 64(%[p0])\n\t"
        "vmovups %%zmm6, 128(%[p0])\n\t"
        "vmovups %%zmm7, 192(%[p0])\n\t"
        "add %[p3], %[p0]\n\t"
        "vmovups %%zmm8, 0(%[p0])\n\t"
        "vmovups %%zmm9, 64(%[p0])\n\t"
        "vmovups %%zmm10, 128(%[p0])\n\t"
        "vmovups %%zmm11, 192(%[p0])\n\t"
        "add %[p3], %[p0]\n\t"
        "vmovups %%zmm12, 0(%[p0])\n\t"
        "vmovups %%zmm13, 64(%[p0])\n\t"
        "vmovups %%zmm14, 128(%[p0])\n\t"
        "vmovups %%zmm15, 192(%[p0])\n\t"
        "add %[p3], %[p0]\n\t"
        "vmovups %%zmm16, 0(%[p0])\n\t"
        "vmovups %%zmm17, 64(%[p0])\n\t"
        "vmovups %%zmm18, 128(%[p0])\n\t"
        "vmovups %%zmm19, 192(%[p0])\n\t"
        "add %[p3], %[p0]\n\t"
        "vmovups %%zmm20, 0(%[p0])\n\t"
        "vmovups %%zmm21, 64(%[p0])\n\t"
        "vmovups %%zmm22, 128(%[p0])\n\t"
        "vmovups %%zmm23, 192(%[p0])\n\t"
        "add %[p3], %[p0]\n\t"
        "vmovups %%zmm24, 0(%[p0])\n\t"
        "vmovups %%zmm25, 64(%[p0])\n\t"
        "vmovups %%zmm26, 128(%[p0])\n\t"
        "vmovups %%zmm27, 192(%[p0])\n\t"
        "add %[p3], %[p0]\n\t"
        : [p0] "+&r"(p0), [p3] "+&r"(p3), [p6] "+&r"(p6), [bk] "+&r"(bk), [k] "+&r"(k), [taps] "+&r"(taps),
          [b] "+&r"(b), [pf] "+&r"(pf)
        : [pf_end] "r"(pf_end), [a] "r"(a), [rs] "r"(row_stride_bytes), [tap_end] "r"(tap_end), [bts] "r"(b_tap_stride_bytes),
          [kc] "r"(kc), [out] "m"(out), [out_stride] "m"(out_stride), [clamp] "m"(clamp_kind), [six] "m"(six),
          [residual] "m"(residual)
        : "memory", "cc", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15", "xmm16", "xmm17", "xmm18", "xmm19", "xmm20", "xmm21", "xmm22", "xmm23", "xmm24", "xmm25", "xmm26", "xmm27", "xmm28", "xmm29", "xmm30", "xmm31");
}

#undef FOVEA_EACH_ACCUMULATOR
#undef FOVEA_RELU
#undef FOVEA_RELU6
#undef FOVEA_ADD_ROW

FOVEA_TARGET_AVX512 void ukernel_7x64(const UkernelArgs &p) {
    switch (p.m) {
        // The assembly loop always computes seven rows; a short tile (an
        // image's edge column, the last rows of a GEMM) gets a loop of its own.
        case 1: return tile_avx512<1, 4>(p);
        case 2: return tile_avx512<2, 4>(p);
        case 3: return tile_avx512<3, 4>(p);
        case 4: return tile_avx512<4, 4>(p);
        case 5: return tile_avx512<5, 4>(p);
        case 6: return tile_avx512<6, 4>(p);
        default: break;
    }
    // The common case: a full tile whose result needs no masking, and at most
    // a ReLU or ReLU6, goes straight from the input tile to C in one assembly
    // block. (Through depth_loop, every tap's accumulators go to memory and
    // back: with their ReLU, ResNet-50's 7x7 stem, 21 values per tap, took 2.54
    // ms instead of 2.30, and VGG-16's first layer, 9 per tap, 2.89 instead of
    // 1.95; Zen 4, one thread.)
    Clamp clamp = Clamp::none;
    bool registers_suffice = true;
    if (p.finish) switch (p.activation.kind) {
        case FOVEA_ACTIVATION_NONE: break;
        case FOVEA_ACTIVATION_RELU: clamp = Clamp::relu; break;
        case FOVEA_ACTIVATION_RELU6: clamp = Clamp::relu6; break;
        default: registers_suffice = false;
    }
    if (p.m == MR && p.n == NR && registers_suffice && p.kc > 0 && p.taps > 0) {
        static const int64_t no_offset = 0;
        alignas(64) static const float zeros[NR] = {};
        const float *in = p.accumulate ? p.c : p.bias ? p.bias : zeros;
        const int64_t in_stride = p.accumulate ? p.ldc * int64_t(sizeof(float)) : 0;
        full_tile(p.a, p.a_row_stride * int64_t(sizeof(float)), p.tap_offsets ? p.tap_offsets : &no_offset, p.taps,
                  p.b, p.b_tap_stride * int64_t(sizeof(float)), p.kc, in, in_stride, p.residual, p.c,
                  p.ldc * int64_t(sizeof(float)), clamp, p.prefetch,
                  p.prefetch ? p.prefetch + p.prefetch_lines * 16 : p.prefetch);
        return;
    }
    alignas(64) float acc[MR * NR];
    load_accumulators_avx512<MR, NR>(p, acc);
    const float *rows[MR];
    for (int m = 0; m < MR; ++m) rows[m] = p.a + (m < p.m ? m : 0) * p.a_row_stride;
    for (int64_t t = 0; t < p.taps; ++t) {
        const int64_t offset = p.tap_offsets ? p.tap_offsets[t] : 0;
        depth_loop(rows[0] + offset, rows[1] + offset, rows[2] + offset, rows[3] + offset,
                   rows[4] + offset, rows[5] + offset, rows[6] + offset, p.b + t * p.b_tap_stride,
                   p.kc, acc);
    }
    store_accumulators_avx512<MR, NR>(p, acc);
}

}  // namespace

UkernelInfo ukernel_avx512() { return {ukernel_7x64, MR, NR, true}; }

}  // namespace fovea::gemm
#endif
