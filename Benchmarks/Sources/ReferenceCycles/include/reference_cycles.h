// A clock for benchmarks on machines whose frequency moves from minute to
// minute (shared virtual machines): the seconds one core cycle takes right
// now, measured with a loop of known throughput. A kernel's time divided by
// it is its cost in cycles, which stays put while the clock does not.
#pragma once

#ifdef __cplusplus
extern "C" {
#endif

/** Seconds per core cycle, from a loop of independent 256-bit FMAs (two per
 *  cycle on the x86 cores this project measures: Intel since Haswell, AMD
 *  since Zen 2), or 0 where the CPU lacks AVX2 and FMA. Takes about 4 ms. */
double fovea_bench_seconds_per_cycle(void);

#ifdef __cplusplus
}
#endif
