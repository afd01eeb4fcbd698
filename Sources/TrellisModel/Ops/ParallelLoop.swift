#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Splits a range of independent work items into one contiguous chunk per thread of a
/// `WorkerPool` and runs the chunks concurrently (the caller's thread takes part). Items must
/// not write shared state. Small ranges (below `grain` items per thread) run inline.
struct ParallelLoop: @unchecked Sendable {
    let pool: WorkerPool
    var workers: Int { pool.width }

    init(workers: Int? = nil) {
        let cores = Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        pool = WorkerPool(width: max(1, min(workers ?? cores, 64)))
    }

    /// Calls `body` on disjoint subranges covering 0..<count.
    func forEachChunk(_ count: Int, grain: Int = 1, _ body: (Range<Int>) -> Void) {
        guard count > 0 else { return }
        let chunks = min(workers, max(1, count / max(grain, 1)))
        if chunks == 1 {
            body(0..<count)
            return
        }
        pool.run(parts: chunks) { c in
            let lo = count * c / chunks, hi = count * (c + 1) / chunks
            if lo < hi { body(lo..<hi) }
        }
    }
}

/// Carries a value that is only read, or only touched on disjoint parts, across threads.
struct UncheckedSendable<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
