import Dispatch
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Splits a range of independent work items into one contiguous chunk per core and runs the
/// chunks concurrently (the caller's thread takes part). Items must not write shared state.
///
/// Overhead is a few microseconds per call, so callers pass a `grain` below which the work
/// runs inline on the calling thread.
struct ParallelLoop: Sendable {
    let workers: Int

    init(workers: Int? = nil) {
        let cores = Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        self.workers = max(1, min(workers ?? cores, 64))
    }

    /// Calls `body` on disjoint subranges covering 0..<count.
    func forEachChunk(_ count: Int, grain: Int = 1, _ body: (Range<Int>) -> Void) {
        guard count > 0 else { return }
        let chunks = min(workers, max(1, count / max(grain, 1)))
        if chunks == 1 {
            body(0..<count)
            return
        }
        withoutActuallyEscaping(body) { body in
            let box = UncheckedSendable(body)
            DispatchQueue.concurrentPerform(iterations: chunks) { c in
                let lo = count * c / chunks, hi = count * (c + 1) / chunks
                if lo < hi { box.value(lo..<hi) }
            }
        }
    }

    /// Calls `body` on every index 0..<count, items shared out dynamically (for uneven items).
    func forEach(_ count: Int, _ body: (Int) -> Void) {
        guard count > 0 else { return }
        if workers == 1 || count == 1 {
            for i in 0..<count { body(i) }
            return
        }
        withoutActuallyEscaping(body) { body in
            let box = UncheckedSendable(body)
            DispatchQueue.concurrentPerform(iterations: count) { i in box.value(i) }
        }
    }
}

/// Carries a value that is only read, or only touched on disjoint parts, across threads.
struct UncheckedSendable<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
