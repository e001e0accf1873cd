// GEMM implementations, most preferred first; the reference kernel is last and
// accepts everything.
#include "common/guard.h"
#include "dispatch/families.h"
#include "gemm/gemm_kernels.h"

namespace fovea {
namespace {

const Implementation<GemmTable> kGemmImplementations[] = {
#if defined(__x86_64__)
    {FOVEA_ISA_AVX512, {gemm_avx512}},
    {FOVEA_ISA_AVX2, {gemm_avx2}},
#elif defined(__aarch64__)
    {FOVEA_ISA_NEON, {gemm_neon}},
#endif
    {FOVEA_ISA_SCALAR, {fovea_reference_gemm}},
};

}  // namespace

Dispatch<GemmTable> &gemm_dispatch() {
    static Dispatch<GemmTable> dispatch(kGemmImplementations);
    return dispatch;
}

}  // namespace fovea

extern "C" fovea_status fovea_gemm(const fovea_gemm_desc *desc, const float *a, const float *b,
                                   const float *bias, float *c) {
    return fovea::guarded([&] { return fovea::gemm_dispatch().table().gemm(desc, a, b, bias, c); });
}
