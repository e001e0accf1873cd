// The library's one thread pool and its parallel-for.
//
// Work is cut into chunks whose boundaries depend only on the range and the
// grain, never on the number of threads, and every output element is written by
// exactly one chunk. Kernels that reduce across chunks combine the partial
// results in chunk order. That is what makes results bit-identical whatever the
// thread count.
#pragma once

#include <cstdint>
#include <functional>

namespace fovea {

// Calls body(begin, end) for consecutive chunks of at most `grain` items
// covering [0, n). Runs on the calling thread alone when the pool has one
// thread, when it is already busy (another caller, or a nested call), or when
// there is a single chunk.
void parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)> &body);

// As parallel_for, with at most `max_workers` threads taking part; body also
// receives the index (< max_workers) of the thread running it, so that
// kernels can give each thread its own slice of a caller-owned workspace.
void parallel_for_workers(int64_t n, int64_t grain, int32_t max_workers,
                          const std::function<void(int64_t, int64_t, int32_t)> &body);

// Chooses a grain so that [0, n) splits into about `chunks_per_thread` chunks
// per hardware thread, and no chunk has fewer than `min_grain` items. Depends on
// the hardware core count only (not the configured thread count), so chunking
// stays fixed when the caller changes the thread count.
int64_t grain_for(int64_t n, int64_t min_grain = 1, int64_t chunks_per_thread = 4);

// The items the busiest hardware thread gets when `chunks` chunks of `grain`
// items are dealt out in turn (the last chunk counted whole).
int64_t busiest_share(int64_t chunks, int64_t grain);

// A grain that is a multiple of `step` (kernels that take items in groups of
// `step` within a chunk), no larger than grain_for's, that leaves the busiest
// hardware thread the fewest items when the chunks are dealt out in turn;
// the largest such grain. Like grain_for, it depends on the core count only.
int64_t grain_in_steps(int64_t n, int64_t step, int64_t chunks_per_thread = 4);

}  // namespace fovea
