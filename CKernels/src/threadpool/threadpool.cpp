#include "threadpool/threadpool.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#include "common/guard.h"

namespace fovea {
namespace {

inline void cpu_relax() {
#if defined(__x86_64__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

// Spins until `ready()` or until `microseconds` pass; true when ready. Layers
// run back to back, each a parallel loop of a millisecond or less, and waking
// a sleeping thread costs tens of microseconds on a virtual machine: threads
// poll for a short while before they sleep.
template <class Ready>
bool spin_until(Ready ready, int64_t microseconds) {
    const auto start = std::chrono::steady_clock::now();
    for (int64_t i = 0;; ++i) {
        if (ready()) return true;
        cpu_relax();
        if ((i & 63) == 63 &&
            std::chrono::steady_clock::now() - start > std::chrono::microseconds(microseconds))
            return ready();
    }
}

constexpr int64_t kSpinMicroseconds = 200;

// Read once: std::thread::hardware_concurrency() reads /sys on Linux, a
// system call that would cost microseconds in every grain computation.
int32_t hardware_threads() {
    static const int32_t count = [] {
        unsigned n = std::thread::hardware_concurrency();
        return n == 0 ? 1 : static_cast<int32_t>(std::min(n, 256u));
    }();
    return count;
}

// One job at a time: a caller that finds the pool busy runs its loop inline.
class ThreadPool {
public:
    static ThreadPool &shared() {
        // Leaked on purpose: worker threads must outlive static destructors of
        // callers that may still run kernels during process exit.
        static ThreadPool *pool = new ThreadPool();
        return *pool;
    }

    int32_t threads() const { return threads_.load(std::memory_order_relaxed); }

    void set_threads(int32_t count) {
        std::lock_guard<std::mutex> run_lock(run_mutex_);
        stop_workers();
        threads_.store(count, std::memory_order_relaxed);
        start_workers(count - 1);
    }

    void run(int64_t n, int64_t grain, int32_t max_workers,
             const std::function<void(int64_t, int64_t, int32_t)> &body) {
        const int64_t chunks = (n + grain - 1) / grain;
        if (chunks <= 1 || threads() <= 1 || max_workers <= 1 || in_job_ || inline_only_) {
            run_inline(n, grain, body);
            return;
        }
        std::unique_lock<std::mutex> run_lock(run_mutex_, std::try_to_lock);
        if (!run_lock.owns_lock() || workers_.empty()) {
            run_inline(n, grain, body);
            return;
        }
        {
            std::lock_guard<std::mutex> lock(mutex_);
            job_body_ = &body;
            job_n_ = n;
            job_grain_ = grain;
            job_chunks_ = chunks;
            job_max_workers_ = max_workers;
            next_chunk_.store(0, std::memory_order_relaxed);
            ends_.store(chunks < kPackedLimit ? pack(0, chunks) : 0, std::memory_order_relaxed);
            next_worker_.store(1, std::memory_order_relaxed);  // the caller is worker 0
            active_workers_.store(static_cast<int32_t>(workers_.size()), std::memory_order_relaxed);
            generation_.fetch_add(1, std::memory_order_release);
        }
        wake_.notify_all();
        in_job_ = true;
        std::exception_ptr failure;
        try {
            work_on_job(0);
        } catch (...) {
            failure = std::current_exception();
        }
        in_job_ = false;
        // Workers still hold the body: wait for them even when it threw here.
        auto finished = [&] { return active_workers_.load(std::memory_order_acquire) == 0; };
        if (!spin_until(finished, kSpinMicroseconds)) {
            std::unique_lock<std::mutex> lock(mutex_);
            done_.wait(lock, finished);
        }
        job_body_ = nullptr;
        if (!failure) failure = worker_failure_;
        worker_failure_ = nullptr;
        if (failure) std::rethrow_exception(failure);
    }

private:
    ThreadPool() {
        const int32_t n = hardware_threads();
        threads_.store(n, std::memory_order_relaxed);
        start_workers(n - 1);
    }

    static void run_inline(int64_t n, int64_t grain,
                           const std::function<void(int64_t, int64_t, int32_t)> &body) {
        for (int64_t begin = 0; begin < n; begin += grain) body(begin, std::min(n, begin + grain), 0);
    }

    // The caller takes chunks from the front of the range and the first worker
    // from the back (more workers from the front too), so that on two cores
    // each keeps to its own end of an image from one layer to the next and
    // finds the rows it reads in its own L2, where taking the next free chunk
    // dealt them out anew each time. dlib's ResNet at two threads, Zen 5,
    // interleaved: 1.31-1.42 -> 1.13-1.31 ms (ResNet-50 and MobileNetV2 the
    // same either way). Chunk boundaries do not change, so neither do results.
    void work_on_job(int32_t worker) {
        if (job_chunks_ >= kPackedLimit) {
            for (;;) {
                const int64_t chunk = next_chunk_.fetch_add(1, std::memory_order_relaxed);
                if (chunk >= job_chunks_) break;
                run_chunk(chunk, worker);
            }
            return;
        }
        for (;;) {
            const int64_t chunk = claim(worker == 1);
            if (chunk < 0) break;
            run_chunk(chunk, worker);
        }
    }

    void run_chunk(int64_t chunk, int32_t worker) {
        const int64_t begin = chunk * job_grain_;
        (*job_body_)(begin, std::min(job_n_, begin + job_grain_), worker);
    }

    // The chunks left, [front, back), packed in one word (front in the low 32
    // bits) so that a claim at either end is one compare-and-swap.
    static constexpr int64_t kPackedLimit = int64_t(1) << 31;
    static uint64_t pack(int64_t front, int64_t back) { return uint64_t(back) << 32 | uint64_t(front); }

    // The next chunk from one end, or -1 when none is left.
    int64_t claim(bool from_back) {
        uint64_t range = ends_.load(std::memory_order_relaxed);
        for (;;) {
            const int64_t front = int64_t(range & 0xFFFFFFFFu), back = int64_t(range >> 32);
            if (front >= back) return -1;
            const uint64_t rest = from_back ? pack(front, back - 1) : pack(front + 1, back);
            if (ends_.compare_exchange_weak(range, rest, std::memory_order_relaxed)) return from_back ? back - 1 : front;
        }
    }

    // `seen` is the generation when the worker was created, not when its
    // thread got to run: a job posted in between must not be missed.
    void worker_loop(uint64_t seen) {
        for (;;) {
            auto posted = [&] {
                return stopping_.load(std::memory_order_acquire) ||
                       generation_.load(std::memory_order_acquire) != seen;
            };
            if (!spin_until(posted, kSpinMicroseconds)) {
                std::unique_lock<std::mutex> lock(mutex_);
                wake_.wait(lock, posted);
            }
            if (stopping_.load(std::memory_order_acquire)) return;
            seen = generation_.load(std::memory_order_acquire);
            const int32_t worker = next_worker_.fetch_add(1, std::memory_order_relaxed);
            if (worker < job_max_workers_) {
                in_job_ = true;
                try {
                    work_on_job(worker);
                } catch (...) {
                    // Handed to the caller, which rethrows it once every worker is done.
                    std::lock_guard<std::mutex> lock(mutex_);
                    if (!worker_failure_) worker_failure_ = std::current_exception();
                    next_chunk_.store(job_chunks_, std::memory_order_relaxed);
                    ends_.store(0, std::memory_order_relaxed);
                }
                in_job_ = false;
            }
            if (active_workers_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
                std::lock_guard<std::mutex> lock(mutex_);
                done_.notify_one();
            }
        }
    }

    void start_workers(int32_t count) {
        uint64_t generation = 0;
        {
            std::lock_guard<std::mutex> lock(mutex_);
            stopping_.store(false, std::memory_order_release);
            generation = generation_.load(std::memory_order_relaxed);
        }
        for (int32_t i = 0; i < count; ++i)
            workers_.emplace_back([this, generation] { worker_loop(generation); });
    }

    void stop_workers() {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            stopping_.store(true, std::memory_order_release);
        }
        wake_.notify_all();
        for (auto &t : workers_) t.join();
        workers_.clear();
    }

    std::atomic<int32_t> threads_{1};
    std::vector<std::thread> workers_;
    std::mutex run_mutex_;  // held by the one caller whose job the pool runs
    std::mutex mutex_;      // guards the job fields and the counters below
    std::condition_variable wake_, done_;
    std::atomic<uint64_t> generation_{0};
    std::atomic<int32_t> active_workers_{0};
    std::atomic<bool> stopping_{false};
    const std::function<void(int64_t, int64_t, int32_t)> *job_body_ = nullptr;
    int64_t job_n_ = 0, job_grain_ = 1, job_chunks_ = 0;
    int32_t job_max_workers_ = 1;
    std::atomic<int64_t> next_chunk_{0};
    std::atomic<uint64_t> ends_{0};
    std::atomic<int32_t> next_worker_{1};
    std::exception_ptr worker_failure_;  // guarded by mutex_
    static thread_local bool in_job_;

public:
    // Set by threads that must never hold the pool (see fovea_threads_inline_here).
    static thread_local bool inline_only_;
};

thread_local bool ThreadPool::in_job_ = false;
thread_local bool ThreadPool::inline_only_ = false;

}  // namespace

void parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)> &body) {
    if (n <= 0) return;
    const std::function<void(int64_t, int64_t, int32_t)> adapter =
        [&body](int64_t begin, int64_t end, int32_t) { body(begin, end); };
    ThreadPool::shared().run(n, std::max<int64_t>(grain, 1), 1 << 30, adapter);
}

void parallel_for_workers(int64_t n, int64_t grain, int32_t max_workers,
                          const std::function<void(int64_t, int64_t, int32_t)> &body) {
    if (n <= 0) return;
    ThreadPool::shared().run(n, std::max<int64_t>(grain, 1), std::max(max_workers, 1), body);
}

int64_t grain_for(int64_t n, int64_t min_grain, int64_t chunks_per_thread) {
    const int64_t chunks = std::max<int64_t>(1, int64_t(hardware_threads()) * chunks_per_thread);
    return std::max<int64_t>(std::max<int64_t>(min_grain, 1), (n + chunks - 1) / chunks);
}

int64_t busiest_share(int64_t chunks, int64_t grain) {
    const int64_t cores = hardware_threads();
    return (chunks + cores - 1) / cores * grain;
}

int64_t grain_in_steps(int64_t n, int64_t step, int64_t chunks_per_thread) {
    step = std::max<int64_t>(step, 1);
    const int64_t largest = std::max(step, grain_for(n, step, chunks_per_thread) / step * step);
    int64_t best = step, least = INT64_MAX;
    for (int64_t grain = step; grain <= largest; grain += step) {
        const int64_t busiest = std::min(n, busiest_share((n + grain - 1) / grain, grain));
        if (busiest <= least) best = grain, least = busiest;
    }
    return best;
}

}  // namespace fovea

extern "C" fovea_status fovea_threads_set(int32_t count) {
    if (count < 0 || count > 1024) return FOVEA_STATUS_INVALID_ARGUMENT;
    return fovea::guarded([&] {
        fovea::ThreadPool::shared().set_threads(count == 0 ? fovea::hardware_threads() : count);
        return FOVEA_STATUS_SUCCESS;
    });
}

extern "C" int32_t fovea_threads_get(void) { return fovea::ThreadPool::shared().threads(); }

extern "C" int32_t fovea_threads_hardware(void) { return fovea::hardware_threads(); }

extern "C" void fovea_threads_inline_here(int32_t inline_only) {
    fovea::ThreadPool::shared();  // the workers start from a thread of ordinary priority, not from this one
    fovea::ThreadPool::inline_only_ = inline_only != 0;
}
