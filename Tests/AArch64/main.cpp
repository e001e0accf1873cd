// The kernels on AArch64 against the reference: every sweep at the NEON level
// and the portable one, on one thread and two.
#include <cstdio>

#include "sweep.h"

int main() {
    const struct {
        fovea_isa isa;
        const char *name;
    } levels[] = {{FOVEA_ISA_NEON, "neon"}, {FOVEA_ISA_SCALAR, "scalar"}};
    for (const auto &level : levels) {
        fovea_isa_set_cap(level.isa);
        if (fovea_isa_active() != level.isa) {
            std::printf("FAIL: the %s level is not active (got %d)\n", level.name, int(fovea_isa_active()));
            return 1;
        }
        for (int threads : {1, 2}) {
            fovea_threads_set(threads);
            sweep::conv_plans(level.name, threads);
            sweep::gemm(level.name, threads);
        }
    }
    std::printf("%d of %d checks passed\n", sweep::checks() - sweep::failures(), sweep::checks());
    return sweep::failures() == 0 ? 0 : 1;
}
