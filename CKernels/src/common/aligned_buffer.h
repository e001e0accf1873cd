// A 64-byte-aligned float array owned by a plan (packed weights and the like).
#pragma once

#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <new>

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace fovea {

class AlignedBuffer {
public:
    AlignedBuffer() = default;
    explicit AlignedBuffer(size_t count) { resize(count); }
    AlignedBuffer(const AlignedBuffer &) = delete;
    AlignedBuffer &operator=(const AlignedBuffer &) = delete;
    ~AlignedBuffer() { std::free(data_); }

    void resize(size_t count) {
        std::free(data_);
        data_ = nullptr;
        size_ = count;
        if (count == 0) return;
        data_ = static_cast<float *>(allocate_large(count * sizeof(float)));
        if (!data_) throw std::bad_alloc();
        std::memset(data_, 0, count * sizeof(float));
    }

    // 64-byte aligned memory; buffers of several megabytes are aligned to 2 MB
    // and offered to the kernel as huge pages, because the kernels sweep them
    // with large strides and would otherwise miss in the TLB.
    static void *allocate_large(size_t bytes) {
        constexpr size_t huge = size_t(2) << 20;
        if (bytes >= 2 * huge) {
            const size_t rounded = (bytes + huge - 1) / huge * huge;
            void *memory = std::aligned_alloc(huge, rounded);
#if defined(__linux__)
            if (memory) madvise(memory, rounded, MADV_HUGEPAGE);
#endif
            return memory;
        }
        return std::aligned_alloc(64, (bytes + 63) / 64 * 64);
    }

    float *data() { return data_; }
    const float *data() const { return data_; }
    size_t size() const { return size_; }

private:
    float *data_ = nullptr;
    size_t size_ = 0;
};

// Rounds a byte count up to a whole number of cache lines, so that slices of
// one workspace handed to different threads never share a line.
inline size_t round_to_cache_line(size_t bytes) { return (bytes + 63) / 64 * 64; }

}  // namespace fovea
