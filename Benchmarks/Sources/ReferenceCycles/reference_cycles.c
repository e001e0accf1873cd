#include "reference_cycles.h"

#include <time.h>

#if defined(__x86_64__)
#include <immintrin.h>

enum { kChains = 12, kIterations = 1000000 };  // 12 chains hide a 4-cycle latency on two ports

__attribute__((target("avx2,fma"), noinline)) static float fma_loop(long iterations) {
    __m256 acc[kChains];
    for (int i = 0; i < kChains; ++i) acc[i] = _mm256_set1_ps(1e-3f * (float)i);
    const __m256 m = _mm256_set1_ps(0.999f), c = _mm256_set1_ps(1e-4f);
    for (long k = 0; k < iterations; ++k) {
        for (int i = 0; i < kChains; ++i) acc[i] = _mm256_fmadd_ps(acc[i], m, c);
        // Keeps the compiler from folding the chains into fewer registers.
        __asm__ volatile("" : "+x"(acc[0]), "+x"(acc[1]), "+x"(acc[2]), "+x"(acc[3]), "+x"(acc[4]), "+x"(acc[5]));
    }
    float sum = 0;
    for (int i = 0; i < kChains; ++i) {
        float lanes[8];
        _mm256_storeu_ps(lanes, acc[i]);
        for (int l = 0; l < 8; ++l) sum += lanes[l];
    }
    return sum;
}

static double seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

double fovea_bench_seconds_per_cycle(void) {
    if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma")) return 0;
    const double start = seconds();
    volatile float sink = fma_loop(kIterations);
    (void)sink;
    return (seconds() - start) / ((double)kIterations * kChains / 2);
}
#else
double fovea_bench_seconds_per_cycle(void) { return 0; }
#endif
