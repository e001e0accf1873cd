// GEMM implementations, most preferred first. The reference kernel
// (fovea_reference_gemm) is the tests' yardstick, not a level of its own.
#include "common/guard.h"
#include "dispatch/families.h"
#include "gemm/gemm_kernels.h"

namespace fovea {
namespace {

// The same driver at every level: it multiplies with the microkernel of the
// level that is active when it runs.
const Implementation<GemmTable> kGemmImplementations[] = {
#if defined(__x86_64__)
    {FOVEA_ISA_AVX512, {gemm_packed}},
    {FOVEA_ISA_AVX2, {gemm_packed}},
#elif defined(__aarch64__)
    {FOVEA_ISA_NEON, {gemm_packed}},
#endif
    {FOVEA_ISA_SCALAR, {gemm_packed}},
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
