// Internal helpers shared by the reference kernels. The kernels themselves are
// declared in fovea_kernels.h as fovea_reference_*.
#pragma once

#include <cstdint>

#include "fovea_kernels.h"

namespace fovea::reference {

// Applies a fused activation to one value, the definition every fast kernel
// must agree with.
float activate(const fovea_activation &activation, float x);

}  // namespace fovea::reference
