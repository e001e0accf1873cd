// A block of the library's workspace memory (fovea_workspace_allocate), freed
// when it goes out of scope: kernels that need scratch beyond what their
// caller hands them take it here, so that repeated calls reuse large blocks.
#pragma once

#include <cstddef>
#include <utility>

#include "fovea_kernels.h"

namespace fovea {

class Workspace {
public:
    Workspace() = default;
    // Holds nullptr when bytes is 0 or the memory is exhausted.
    explicit Workspace(size_t bytes) : memory_(bytes ? fovea_workspace_allocate(bytes) : nullptr) {}
    Workspace(Workspace &&other) noexcept : memory_(std::exchange(other.memory_, nullptr)) {}
    Workspace &operator=(Workspace &&other) noexcept {
        std::swap(memory_, other.memory_);
        return *this;
    }
    Workspace(const Workspace &) = delete;
    Workspace &operator=(const Workspace &) = delete;
    ~Workspace() { fovea_workspace_free(memory_); }

    void *get() const { return memory_; }
    float *floats() const { return static_cast<float *>(memory_); }

private:
    void *memory_ = nullptr;
};

}  // namespace fovea
