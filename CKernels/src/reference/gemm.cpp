// Reference GEMM: the definition every fast GEMM is tested against. Products
// are summed in double in increasing k, so the only float rounding is the
// final one (plus whatever the activation does).
#include <cstdint>

#include "common/guard.h"
#include "reference/reference.h"

extern "C" fovea_status fovea_reference_gemm(const fovea_gemm_desc *desc, const float *a,
                                             const float *b, const float *bias, float *c) {
    return fovea::guarded([&] {
        const fovea_gemm_desc &d = *desc;
        for (int64_t i = 0; i < d.m; ++i) {
            for (int64_t j = 0; j < d.n; ++j) {
                double sum = 0.0;
                for (int64_t p = 0; p < d.k; ++p) {
                    const float av = d.trans_a ? a[p * d.lda + i] : a[i * d.lda + p];
                    const float bv = d.trans_b ? b[j * d.ldb + p] : b[p * d.ldb + j];
                    sum += double(av) * double(bv);
                }
                double v = double(d.alpha) * sum;
                // beta == 0 means C may hold NaN: it must not even be multiplied.
                if (d.beta != 0.0f) v += double(d.beta) * double(c[i * d.ldc + j]);
                if (bias != nullptr) v += double(bias[j]);
                c[i * d.ldc + j] = fovea::reference::activate(d.activation, float(v));
            }
        }
        return FOVEA_STATUS_SUCCESS;
    });
}
