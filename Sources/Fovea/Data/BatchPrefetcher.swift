import Foundation
internal import CKernels

/// Mini-batches of a dataset prepared on a background thread (gathered,
/// then transformed by `prepare`: resizing, augmentation) while the caller
/// trains on the previous ones.
///
/// Batches come out in the order ``LabelledImages/batches(size:shuffledWith:)``
/// gives, each prepared exactly as it would be inline, so results do not
/// depend on the prefetching. At most `depth` prepared batches wait at once;
/// dropping the prefetcher stops its thread.
public final class BatchPrefetcher: Sendable {
    /// A batch's images (prepared) and labels.
    public typealias Batch = (images: Tensor, labels: [Int])

    /// What the producing thread and the consumer share, behind one lock.
    private final class Queue: @unchecked Sendable {
        let condition = NSCondition()
        var ready = [Batch]()
        var failure: FoveaError?
        var finished = false
        var cancelled = false
    }

    private let queue = Queue()

    /// Starts preparing the batches of `data` of `batchSize` (shuffled with
    /// `seed`, in order without one); `prepare` receives each batch's images
    /// and its index.
    public init(
        _ data: LabelledImages, batchSize: Int, shuffledWith seed: UInt64?, depth: Int = 2,
        prepare: @escaping @Sendable (Tensor, Int) throws(FoveaError) -> Tensor = { images, _ in images }
    ) throws(FoveaError) {
        guard depth >= 1 else { throw .invalidParameter("a prefetcher holds at least one batch, got depth \(depth)") }
        let batches = try data.batches(size: batchSize, shuffledWith: seed)
        let queue = self.queue
        _ = Threads.count  // the kernels' pool starts here, at this thread's priority
        let thread = Thread {
            // Kernels called while preparing run on this thread alone: holding the
            // pool while the scheduler keeps this thread waiting would leave the
            // trainer's kernels one thread.
            fovea_threads_inline_here(1)
            runOnlyWhenACoreIsIdle()
            var failure: FoveaError?
            for (index, indices) in batches.enumerated() {
                let batch: Batch
                do throws(FoveaError) {
                    let gathered = try data.subset(indices)
                    batch = (try prepare(gathered.images, index), gathered.labels)
                } catch {
                    failure = error
                    break
                }
                queue.condition.lock()
                while queue.ready.count >= depth && !queue.cancelled { queue.condition.wait() }
                let cancelled = queue.cancelled
                if !cancelled { queue.ready.append(batch) }
                queue.condition.broadcast()
                queue.condition.unlock()
                if cancelled { return }
            }
            queue.condition.lock()
            (queue.failure, queue.finished) = (failure, true)
            queue.condition.broadcast()
            queue.condition.unlock()
        }
        thread.name = "fovea.prefetch"
        thread.qualityOfService = .background
        thread.start()
    }

    /// The next batch, waiting for it if need be; `nil` after the last one.
    /// Throws what preparing a batch threw, after the batches before it.
    public func next() throws(FoveaError) -> Batch? {
        queue.condition.lock()
        defer { queue.condition.unlock() }
        while queue.ready.isEmpty && !queue.finished { queue.condition.wait() }
        if !queue.ready.isEmpty {
            let batch = queue.ready.removeFirst()
            queue.condition.broadcast()
            return batch
        }
        if let failure = queue.failure { throw failure }
        return nil
    }

    deinit {
        queue.condition.lock()
        queue.cancelled = true
        queue.condition.broadcast()
        queue.condition.unlock()
    }
}

/// Puts the calling thread in Linux's idle scheduling class. The library's
/// pool workers spin briefly between parallel loops; a prefetching thread of
/// normal priority would preempt one of them, and a loop waiting on a
/// preempted worker stalls for a whole time slice. An idle-class thread
/// runs only on a core nobody else wants (the second core of a one-thread
/// run, or while the trainer waits for its batch).
private func runOnlyWhenACoreIsIdle() {
    #if os(Linux)
    var parameters = sched_param()
    parameters.sched_priority = 0
    _ = pthread_setschedparam(pthread_self(), 5 /* SCHED_IDLE, a GNU extension Glibc does not export */, &parameters)
    #endif
}
