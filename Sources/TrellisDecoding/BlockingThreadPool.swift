import Foundation

/// Threads for blocking work (a request's decode loop, which waits on the batcher between
/// steps), kept for reuse: a job starts at once on an idle thread, or on a new one when every
/// thread is busy, so jobs never wait for each other (they may depend on each other through the
/// batcher). A thread idle for `linger` seconds ends. Reuse saves a thread start per request and
/// keeps resident memory flat: glibc caches the stacks of ended threads (up to 40 MiB), which
/// showed as slow RSS growth over 10,000 requests when every request had its own thread.
/// All state is guarded by `lock`, which is why the class is `@unchecked Sendable`.
public final class BlockingThreadPool: @unchecked Sendable {
    public let stackSize: Int
    public let linger: TimeInterval
    private let lock = NSCondition()
    private var jobs: [@Sendable () -> Void] = []
    private var jobHead = 0
    private var waiting = 0
    private var threads = 0

    public init(stackSize: Int = 1 << 20, linger: TimeInterval = 10) {
        self.stackSize = stackSize
        self.linger = linger
    }

    /// Threads alive now (busy or idle).
    public var threadCount: Int {
        lock.lock(); defer { lock.unlock() }
        return threads
    }

    /// Threads waiting for a job now.
    public var idleThreadCount: Int {
        lock.lock(); defer { lock.unlock() }
        return waiting
    }

    /// Runs `job` on a pool thread, starting now.
    public func run(_ job: @escaping @Sendable () -> Void) {
        lock.lock()
        jobs.append(job)
        // Every queued job needs a thread of its own that is waiting or about to start.
        if jobs.count - jobHead > waiting {
            threads += 1
            let thread = Thread { [self] in work() }
            thread.stackSize = stackSize
            thread.name = "trellis-request"
            thread.start()
        }
        lock.signal()
        lock.unlock()
    }

    private func work() {
        lock.lock()
        while true {
            while jobHead == jobs.count {
                waiting += 1
                let signaled = lock.wait(until: Date(timeIntervalSinceNow: linger))
                waiting -= 1
                if !signaled && jobHead == jobs.count {
                    threads -= 1
                    lock.unlock()
                    return
                }
            }
            let job = jobs[jobHead]
            jobHead += 1
            if jobHead == jobs.count {
                jobs.removeAll(keepingCapacity: true)
                jobHead = 0
            }
            lock.unlock()
            job()
            lock.lock()
        }
    }
}
