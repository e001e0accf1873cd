// Every exported function runs its body through fovea::guarded so that no C++
// exception ever crosses the C boundary into Swift.
#pragma once

#include <new>

#include "fovea_kernels.h"

namespace fovea {

template <class Body>
inline fovea_status guarded(Body &&body) noexcept {
    try {
        return body();
    } catch (const std::bad_alloc &) {
        return FOVEA_STATUS_OUT_OF_MEMORY;
    } catch (...) {
        return FOVEA_STATUS_INTERNAL_ERROR;
    }
}

}  // namespace fovea
