#include <algorithm>
#include <cstring>

#include "dispatch/dispatch.h"
#include "gemm/ukernel.h"

namespace fovea::gemm {

int64_t packed_size(int64_t k, int64_t n, int32_t nr) { return ((n + nr - 1) / nr) * k * nr; }

void pack_b(int64_t k, int64_t n, const float *b, int64_t ldb, int32_t nr, float *out) {
    for (int64_t j0 = 0; j0 < n; j0 += nr) {
        const int64_t width = std::min<int64_t>(nr, n - j0);
        for (int64_t kk = 0; kk < k; ++kk) {
            std::memcpy(out, b + kk * ldb + j0, width * sizeof(float));
            std::fill(out + width, out + nr, 0.0f);
            out += nr;
        }
    }
}

UkernelInfo ukernel_for(fovea_isa isa, int64_t columns) {
#if defined(__x86_64__)
    if (isa_allows(isa, FOVEA_ISA_AVX512) && columns > 0) {
        // Useful share of the FMAs, weighted by each tile's own efficiency
        // (broadcasts per FMA: 7+4 per 28, 12+2 per 24, 16+1 per 16).
        auto score = [&](int64_t width, double efficiency) {
            return efficiency * double(columns) / double((columns + width - 1) / width * width);
        };
        const double wide = score(64, 1.0), middle = score(32, 0.9), narrow = score(16, 0.75);
        if (wide >= middle && wide >= narrow) return ukernel_avx512();
        return middle >= narrow ? ukernel_avx512_12x32() : ukernel_avx512_16x16();
    }
#endif
    return ukernel_for(isa);
}

UkernelInfo ukernel_for(fovea_isa isa) {
#if defined(__x86_64__)
    if (isa_allows(isa, FOVEA_ISA_AVX512)) return ukernel_avx512();
    if (isa_allows(isa, FOVEA_ISA_AVX2)) return ukernel_avx2();
#endif
    (void)isa;
    return ukernel_scalar();
}

}  // namespace fovea::gemm
