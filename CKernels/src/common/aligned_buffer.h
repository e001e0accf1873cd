// A 64-byte-aligned float array owned by a plan (packed weights and the like).
#pragma once

#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <new>

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
        const size_t bytes = ((count * sizeof(float) + 63) / 64) * 64;
        data_ = static_cast<float *>(std::aligned_alloc(64, bytes));
        if (!data_) throw std::bad_alloc();
        std::memset(data_, 0, bytes);
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
