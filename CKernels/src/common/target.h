// Per-function instruction-set attributes. The package is built without -m
// flags; kernels opt in function by function and are only ever called through
// the dispatch tables, after the CPU was found to support them.
#pragma once

#if defined(__x86_64__)
#define FOVEA_TARGET_AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx2,fma,f16c")))
#define FOVEA_TARGET_AVX2 __attribute__((target("avx2,fma,f16c")))
#endif

#define FOVEA_ALWAYS_INLINE inline __attribute__((always_inline))
