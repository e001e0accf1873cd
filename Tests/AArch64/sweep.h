// What the AArch64 kernel sweeps share: random problems, the error measure,
// and the tally. Built statically for AArch64 and run under qemu-user by
// Scripts/test; the Swift tests cover the same ground on the machine's own
// instruction-set levels.
#pragma once

#include <cstdint>
#include <random>
#include <vector>

#include "fovea_kernels.h"

namespace sweep {

std::mt19937_64 &rng();
int64_t pick(int64_t lo, int64_t hi);
std::vector<float> random_values(int64_t count);
fovea_activation random_activation();

// Largest |fast - expected| relative to the largest |before| or 1, whichever
// is larger; infinity when a value is NaN (an element never written: outputs
// start as NaN). `before` is the expected result before its activation: a
// kernel's rounding error scales with the sums it adds, and no activation
// here enlarges an error (sigmoid shrinks values and errors alike, so
// measuring against its outputs would hold deep sums to a tighter bound).
double relative_error(const std::vector<float> &fast, const std::vector<float> &expected,
                      const std::vector<float> &before);

// Counts a check; prints `what` and returns false when error > tolerance.
bool record(double error, double tolerance, const char *what);
int checks();
int failures();

// One sweep each, at the active level and thread count.
void conv_plans(const char *level, int threads);
void gemm(const char *level, int threads);

}  // namespace sweep
