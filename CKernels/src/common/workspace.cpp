// The library's allocator for workspaces and tensors. Blocks of 64 KiB and
// more are rounded to a size class and, when freed, kept for the next request
// of that class (up to kCacheLimit bytes in all): repeated inference asks for
// the same sizes every run, and fresh pages would cost a fault and a zeroing
// each time, which for a 5 MB activation is as long as the layer itself.
#include <cstdlib>
#include <map>
#include <mutex>
#include <unordered_map>

#include "common/aligned_buffer.h"
#include "fovea_kernels.h"

namespace {

constexpr size_t kSmall = size_t(64) << 10;
constexpr size_t kCacheLimit = size_t(1) << 30;

// Sizes rounded up to 1/8 of their power of two: at most 12.5 % waste, and
// activations of nearby sizes share blocks.
size_t size_class(size_t bytes) {
    size_t power = kSmall;
    while (power * 2 <= bytes) power *= 2;
    const size_t step = power / 8;
    return (bytes + step - 1) / step * step;
}

struct Cache {
    std::mutex mutex;
    std::multimap<size_t, void *> free_blocks;
    std::unordered_map<void *, size_t> live;  // large blocks handed out, by address
    size_t cached_bytes = 0;

    static Cache &shared() {
        // Never destroyed: tensors may be freed during static destruction.
        static Cache *cache = new Cache;
        return *cache;
    }
};

}  // namespace

extern "C" void *fovea_workspace_allocate(size_t bytes) {
    if (bytes < kSmall) return fovea::AlignedBuffer::allocate_large(bytes == 0 ? 64 : bytes);
    const size_t size = size_class(bytes);
    Cache &cache = Cache::shared();
    {
        std::lock_guard<std::mutex> lock(cache.mutex);
        // The block of this class freed last: the likeliest to be in cache still.
        auto found = cache.free_blocks.upper_bound(size);
        if (found != cache.free_blocks.begin() && (--found)->first == size) {
            void *memory = found->second;
            cache.free_blocks.erase(found);
            cache.cached_bytes -= size;
            cache.live.emplace(memory, size);
            return memory;
        }
    }
    void *memory = fovea::AlignedBuffer::allocate_large(size);
    if (!memory) {
        // Out of memory: give the cached blocks back and try once more.
        fovea_workspace_trim();
        memory = fovea::AlignedBuffer::allocate_large(size);
        if (!memory) return nullptr;
    }
    std::lock_guard<std::mutex> lock(cache.mutex);
    cache.live.emplace(memory, size);
    return memory;
}

extern "C" void fovea_workspace_free(void *memory) {
    if (!memory) return;
    Cache &cache = Cache::shared();
    {
        std::lock_guard<std::mutex> lock(cache.mutex);
        auto found = cache.live.find(memory);
        if (found != cache.live.end()) {
            const size_t size = found->second;
            cache.live.erase(found);
            if (cache.cached_bytes + size <= kCacheLimit) {
                cache.free_blocks.emplace(size, memory);
                cache.cached_bytes += size;
                return;
            }
        }
    }
    std::free(memory);
}

extern "C" void fovea_workspace_trim(void) {
    Cache &cache = Cache::shared();
    std::multimap<size_t, void *> released;
    {
        std::lock_guard<std::mutex> lock(cache.mutex);
        released.swap(cache.free_blocks);
        cache.cached_bytes = 0;
    }
    for (auto &block : released) std::free(block.second);
}

extern "C" size_t fovea_workspace_cached_bytes(void) {
    Cache &cache = Cache::shared();
    std::lock_guard<std::mutex> lock(cache.mutex);
    return cache.cached_bytes;
}
