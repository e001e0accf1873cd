// The GEMM implementations besides the reference one (the registry lists them;
// only the ones for this machine's architecture exist), and the block loop
// their drivers share.
#pragma once

#include <algorithm>
#include <cstdint>

#include "fovea_kernels.h"
#include "threadpool/threadpool.h"

namespace fovea {

// Calls task(r0, r1, c0, c1) on blocks of up to mc rows x nc columns covering
// the m x n product, across the thread pool. Small products stay on the
// calling thread: waking the pool costs more.
template <class Task>
void for_each_gemm_block(const fovea_gemm_desc &d, int64_t mc, int64_t nc, const Task &task) {
    const int64_t row_tasks = (d.m + mc - 1) / mc, col_tasks = (d.n + nc - 1) / nc;
    const int64_t tasks = row_tasks * col_tasks;
    const double work = double(d.m) * double(d.n) * double(std::max<int64_t>(d.k, 1));
    const int64_t grain = work < double(1 << 18) ? tasks : 1;
    parallel_for(tasks, grain, [&](int64_t t0, int64_t t1) {
        for (int64_t t = t0; t < t1; ++t) {
            const int64_t rt = t / col_tasks, ct = t % col_tasks;
            task(rt * mc, std::min(d.m, (rt + 1) * mc), ct * nc, std::min(d.n, (ct + 1) * nc));
        }
    });
}

#if defined(__x86_64__)
fovea_status gemm_avx512(const fovea_gemm_desc *desc, const float *a, const float *b,
                         const float *bias, float *c);
fovea_status gemm_avx2(const fovea_gemm_desc *desc, const float *a, const float *b,
                       const float *bias, float *c);
#elif defined(__aarch64__)
fovea_status gemm_neon(const fovea_gemm_desc *desc, const float *a, const float *b,
                       const float *bias, float *c);
#endif

}  // namespace fovea
