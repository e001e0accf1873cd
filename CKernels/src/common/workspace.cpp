#include <cstdlib>

#include "common/aligned_buffer.h"
#include "fovea_kernels.h"

extern "C" void *fovea_workspace_allocate(size_t bytes) {
    return fovea::AlignedBuffer::allocate_large(bytes == 0 ? 64 : bytes);
}

extern "C" void fovea_workspace_free(void *memory) { std::free(memory); }
