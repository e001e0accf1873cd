// AVX-512 microkernels for narrow outputs: 12x32 and 16x16. A convolution
// with 24 or 96 output channels would waste 62 % or 25 % of a 64-column
// tile's FMAs on zero padding (MobileNet's projections have 16 to 96
// channels); a narrower tile wastes less, at the price of more broadcasts per
// FMA, which the heuristic in pack.cpp weighs. And 6x64, the wide tile with
// all four B vectors in registers (see ukernel_for_rows in pack.cpp).
#if defined(__x86_64__)
#include "gemm/ukernel_tile_avx512.h"

namespace fovea::gemm {
namespace {

template <int MR, int NV>
FOVEA_TARGET_AVX512 void narrow_kernel(const UkernelArgs &p) {
    switch (p.m) {
        case 1: return tile_avx512<1, NV>(p);
        case 2: return tile_avx512<2, NV>(p);
        case 3: return tile_avx512<3, NV>(p);
        case 4: return tile_avx512<4, NV>(p);
        case 5: return tile_avx512<5, NV>(p);
        case 6: return tile_avx512<6, NV>(p);
        case 7: return tile_avx512<7, NV>(p);
        case 8: return tile_avx512<8, NV>(p);
        case 9: return tile_avx512<9, NV>(p);
        case 10: return tile_avx512<10, NV>(p);
        case 11: return tile_avx512<11, NV>(p);
        case 12: return tile_avx512<12, NV>(p);
        default: break;
    }
    if constexpr (MR > 12) {
        switch (p.m) {
            case 13: return tile_avx512<13, NV>(p);
            case 14: return tile_avx512<14, NV>(p);
            case 15: return tile_avx512<15, NV>(p);
            default: return tile_avx512<MR, NV>(p);
        }
    }
}

}  // namespace

UkernelInfo ukernel_avx512_12x32() { return {narrow_kernel<12, 2>, 12, 32, true}; }
UkernelInfo ukernel_avx512_16x16() { return {narrow_kernel<16, 1>, 16, 16, true}; }
UkernelInfo ukernel_avx512_6x64() { return {narrow_kernel<6, 4>, 6, 64, true}; }

}  // namespace fovea::gemm
#endif
