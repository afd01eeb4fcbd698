import Synchronization
import TrellisKernels

/// Pools shared by every model in the process, one per width, kept for the process's life:
/// tests and servers that open many models do not each start threads.
private let sharedPools = Mutex<[Int: ComputePool]>([:])

/// The model's view of a `ComputePool`: contiguous chunks for uniform row work, single items
/// handed out dynamically for uneven work. Bodies run concurrently and must write disjoint
/// memory. Models share one pool per thread count; a pool runs one job at a time (a second
/// caller's job runs serially on its own thread).
struct ParallelLoop: @unchecked Sendable {
    let pool: ComputePool
    var workers: Int { pool.threadCount }

    init(workers: Int? = nil) throws {
        let width = max(1, min(workers ?? ComputePool.defaultThreadCount, 64))
        pool = try sharedPools.withLock { pools in
            if let pool = pools[width] { return pool }
            let pool = try ComputePool(threads: width)
            pools[width] = pool
            return pool
        }
    }

    /// Calls `body` on disjoint subranges covering 0..<count, at most one per thread, none
    /// shorter than `grain` unless count is (small ranges run inline on the caller).
    func forEachChunk(_ count: Int, grain: Int = 1, _ body: (Range<Int>) -> Void) {
        guard count > 0 else { return }
        let chunks = min(workers, max(1, count / max(grain, 1)))
        if chunks == 1 {
            body(0..<count)
            return
        }
        pool.parallelFor(chunks) { c in
            body(count * c / chunks..<count * (c + 1) / chunks)
        }
    }

    /// Calls `body(item, worker)` for every item in 0..<count; `worker` < `workers` names the
    /// thread (for per-thread scratch).
    func forEach(_ count: Int, _ body: (_ item: Int, _ worker: Int) -> Void) {
        guard count > 0 else { return }
        if count == 1 || workers == 1 {
            for i in 0..<count { body(i, 0) }
            return
        }
        pool.parallelFor(count, body)
    }

    /// Tasks to split `rows` weight rows into for a product over `n` activation rows: enough
    /// for dynamic balance across threads, each big enough to amortize its dispatch.
    func taskCount(rows: Int, n: Int) -> Int {
        guard workers > 1 else { return 1 }
        let minimumRows = max(8, 256 / max(n, 1))
        return max(1, min(workers * 4, rows / minimumRows))
    }
}

/// Carries a value that is only read, or only touched on disjoint parts, across threads.
struct UncheckedSendable<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
