import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Persistent worker threads for the many short parallel sections of a decode step (hundreds
/// per token, tens of microseconds each), where waking threads through a dispatch queue costs
/// as much as the work.
///
/// `run(parts:_:)` publishes a job by bumping an atomic generation; workers spin briefly on it
/// and then sleep on a condition variable, so an idle pool costs no CPU. The caller runs part 0
/// itself and spins until the others are done. Dispatch costs about a microsecond while
/// workers spin. One job at a time: `run` is not reentrant. The threads end with the pool.
final class WorkerPool: @unchecked Sendable {
    /// Threads taking part in a job, the caller included.
    let width: Int
    private let shared: WorkerPoolShared
    private var threads: [pthread_t] = []

    init(width: Int) {
        self.width = max(1, width)
        shared = WorkerPoolShared(width: self.width)
        for index in 1..<self.width {
            let context = Unmanaged.passRetained(WorkerContext(shared: shared, index: index)).toOpaque()
            var thread = pthread_t()
            let ok = pthread_create(&thread, nil, { raw in
                let context = Unmanaged<WorkerContext>.fromOpaque(raw!).takeRetainedValue()
                context.shared.workerLoop(index: context.index)
                return nil
            }, context)
            precondition(ok == 0, "cannot start a worker thread")
            threads.append(thread)
        }
    }

    deinit {
        shared.stop()
        for t in threads { pthread_join(t, nil) }
    }

    /// Calls body(0..<parts) concurrently, parts ≤ width; returns when all calls have returned.
    func run(parts: Int, _ body: (Int) -> Void) {
        precondition(parts >= 1 && parts <= width)
        if parts == 1 {
            body(0)
            return
        }
        shared.run(parts: parts, body)
    }
}

/// The state the caller and the workers share.
private final class WorkerPoolShared: @unchecked Sendable {
    let width: Int
    let generation = Atomic<Int>(0)
    let pending = Atomic<Int>(0)
    let stopping = Atomic<Bool>(false)
    // Written by the caller before the generation bump (release), read by workers after
    // seeing it (acquire), and left alone until every worker has reported back.
    var job: ((Int) -> Void)?
    var jobParts = 0
    let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    var sleepers = 0   // guarded by mutex

    /// Atomic re-reads (about a nanosecond each) before an idle worker sleeps: ~0.1 ms.
    static let spinsBeforeSleep = 100_000

    init(width: Int) {
        self.width = width
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(condition, nil)
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
        condition.deallocate()
    }

    /// Every worker takes part in every job (extra ones return at once), so none can lag
    /// behind into the next job.
    func run(parts: Int, _ body: (Int) -> Void) {
        withoutActuallyEscaping(body) { body in
            job = body
            jobParts = parts
            pending.store(width - 1, ordering: .relaxed)
            wake()
            body(0)
            while pending.load(ordering: .acquiring) > 0 {}
            job = nil
        }
    }

    func stop() {
        stopping.store(true, ordering: .relaxed)
        wake()
    }

    private func wake() {
        generation.add(1, ordering: .releasing)
        pthread_mutex_lock(mutex)
        if sleepers > 0 { pthread_cond_broadcast(condition) }
        pthread_mutex_unlock(mutex)
    }

    func workerLoop(index: Int) {
        var seen = 0
        while true {
            var spins = 0
            var current = generation.load(ordering: .acquiring)
            while current == seen {
                if spins < Self.spinsBeforeSleep {
                    spins += 1
                } else {
                    pthread_mutex_lock(mutex)
                    sleepers += 1
                    while generation.load(ordering: .acquiring) == seen { pthread_cond_wait(condition, mutex) }
                    sleepers -= 1
                    pthread_mutex_unlock(mutex)
                }
                current = generation.load(ordering: .acquiring)
            }
            seen = current
            if stopping.load(ordering: .relaxed) { return }
            if index < jobParts, let job { job(index) }
            pending.subtract(1, ordering: .releasing)
        }
    }
}

private final class WorkerContext {
    let shared: WorkerPoolShared
    let index: Int
    init(shared: WorkerPoolShared, index: Int) {
        self.shared = shared
        self.index = index
    }
}
