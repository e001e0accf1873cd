// Internal helpers shared by the reference kernels. The kernels themselves are
// declared in fovea_kernels.h as fovea_reference_*.
#pragma once

#include <cstdint>

#include "fovea_kernels.h"

namespace fovea::reference {

// Applies a fused activation to one value, the definition every fast kernel
// must agree with.
float activate(const fovea_activation &activation, float x);

// Resize coordinates, shared by the reference and the fast kernels so that
// both map output pixels to exactly the same inputs (reference/resize.cpp).
double source_coordinate(fovea_coordinate_mode mode, int64_t x, int64_t in, int64_t out, double s);
int64_t nearest_index(fovea_nearest_mode mode, double coordinate, int64_t in);
struct LinearTap {
    int64_t i0, i1;
    double w1;  // weight of i1; i0 gets 1 - w1
};
LinearTap linear_tap(double coordinate, int64_t in);

}  // namespace fovea::reference
