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

UkernelInfo ukernel_for(fovea_isa isa) {
#if defined(__x86_64__)
    if (isa_allows(isa, FOVEA_ISA_AVX512)) return ukernel_avx512();
    if (isa_allows(isa, FOVEA_ISA_AVX2)) return ukernel_avx2();
#endif
    (void)isa;
    return ukernel_scalar();
}

}  // namespace fovea::gemm
