#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

#include "sweep.h"

namespace sweep {
namespace {
int g_checks = 0, g_failures = 0;
}  // namespace

std::mt19937_64 &rng() {
    static std::mt19937_64 generator(20261206);
    return generator;
}

int64_t pick(int64_t lo, int64_t hi) { return std::uniform_int_distribution<int64_t>(lo, hi)(rng()); }

std::vector<float> random_values(int64_t count) {
    std::uniform_real_distribution<float> value(-1.0f, 1.0f);
    std::vector<float> v(size_t(std::max<int64_t>(count, 1)));
    for (float &x : v) x = value(rng());
    return v;
}

fovea_activation random_activation() {
    switch (pick(0, 5)) {
        case 0: return {FOVEA_ACTIVATION_RELU, 0, 0};
        case 1: return {FOVEA_ACTIVATION_RELU6, 0, 0};
        case 2: return {FOVEA_ACTIVATION_LEAKY_RELU, 0.1f, 0};
        case 3: return {FOVEA_ACTIVATION_CLAMP, -0.5f, 0.75f};
        case 4: return {FOVEA_ACTIVATION_SIGMOID, 0, 0};
        default: return {FOVEA_ACTIVATION_NONE, 0, 0};
    }
}

double relative_error(const std::vector<float> &fast, const std::vector<float> &expected,
                      const std::vector<float> &before) {
    double worst = 0, largest = 1;
    for (float e : before) largest = std::max(largest, double(std::fabs(e)));
    for (size_t i = 0; i < expected.size(); ++i) {
        if (std::isnan(fast[i])) return std::numeric_limits<double>::infinity();
        worst = std::max(worst, std::fabs(double(fast[i]) - double(expected[i])));
    }
    return worst / largest;
}

bool record(double error, double tolerance, const char *what) {
    ++g_checks;
    if (error <= tolerance) return true;
    ++g_failures;
    std::printf("FAIL %s: error %.2e (tolerance %.0e)\n", what, error, tolerance);
    return false;
}

int checks() { return g_checks; }
int failures() { return g_failures; }

}  // namespace sweep
