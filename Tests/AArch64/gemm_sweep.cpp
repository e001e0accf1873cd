// fovea_gemm against the reference GEMM: random sizes (odd, not multiples of
// the register block, zero depth), both transpositions, leading dimensions
// wider than the matrices, alpha, beta (0 leaves C unread: it starts as NaN),
// bias and every fused activation. Tolerance 1e-5 of the largest magnitude
// before the activation (or of 1): float32 sums against the reference's
// float64 ones.
#include <cstdio>
#include <limits>
#include <vector>

#include "reference/reference.h"
#include "sweep.h"

namespace sweep {

void gemm(const char *level, int threads) {
    for (int trial = 0; trial < 60; ++trial) {
        fovea_gemm_desc d{};
        d.m = pick(1, trial < 50 ? 40 : 200);
        d.n = pick(1, trial < 50 ? 40 : 300);
        d.k = trial % 20 == 7 ? 0 : pick(1, trial < 50 ? 40 : 600);
        d.trans_a = int32_t(pick(0, 1));
        d.trans_b = int32_t(pick(0, 1));
        d.lda = (d.trans_a ? d.m : d.k) + pick(0, 3);
        d.ldb = (d.trans_b ? d.k : d.n) + pick(0, 3);
        d.ldc = d.n + pick(0, 3);
        d.alpha = pick(0, 1) ? 1.0f : 0.75f;
        d.beta = pick(0, 2) == 0 ? 0.5f : 0.0f;
        d.activation = random_activation();
        const std::vector<float> a = random_values((d.trans_a ? d.k : d.m) * d.lda);
        const std::vector<float> b = random_values((d.trans_b ? d.n : d.k) * d.ldb);
        const std::vector<float> bias = random_values(d.n);
        const bool with_bias = pick(0, 1) == 1;
        std::vector<float> c = random_values(d.m * d.ldc);
        if (d.beta == 0.0f) c.assign(c.size(), std::numeric_limits<float>::quiet_NaN());
        std::vector<float> before = c;
        const fovea_status status = fovea_gemm(&d, a.data(), b.data(), with_bias ? bias.data() : nullptr, c.data());
        fovea_gemm_desc linear = d;
        linear.activation = {FOVEA_ACTIVATION_NONE, 0, 0};
        fovea_reference_gemm(&linear, a.data(), b.data(), with_bias ? bias.data() : nullptr, before.data());
        std::vector<float> expected(before.size());
        for (size_t i = 0; i < before.size(); ++i) expected[i] = fovea::reference::activate(d.activation, before[i]);
        // Only C's m x n block is compared; the padding of each row must stay as it was.
        std::vector<float> got_block, expected_block, before_block;
        bool padding_kept = true;
        for (int64_t i = 0; i < d.m; ++i)
            for (int64_t j = 0; j < d.ldc; ++j) {
                const size_t at = size_t(i * d.ldc + j);
                if (j < d.n) {
                    got_block.push_back(c[at]);
                    expected_block.push_back(expected[at]);
                    before_block.push_back(before[at]);
                } else if (!(c[at] == before[at]) && !(c[at] != c[at] && before[at] != before[at])) {
                    padding_kept = false;
                }
            }
        char what[200];
        std::snprintf(what, sizeof what, "%s gemm threads %d: m %lld n %lld k %lld trans %d%d alpha %g beta %g "
                      "activation %d bias %d%s", level, threads, (long long)d.m, (long long)d.n, (long long)d.k,
                      int(d.trans_a), int(d.trans_b), double(d.alpha), double(d.beta), int(d.activation.kind),
                      int(with_bias), padding_kept ? "" : " (wrote past n)");
        const double error = status == FOVEA_STATUS_SUCCESS && padding_kept
                                 ? relative_error(got_block, expected_block, before_block)
                                 : std::numeric_limits<double>::infinity();
        record(error, 1e-5, what);
    }
}

}  // namespace sweep
