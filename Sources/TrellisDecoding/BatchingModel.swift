import Foundation
import TrellisCore

/// Errors of `BatchingModel`, each naming the bound or the reason.
public enum BatchingError: Error, CustomStringConvertible, Equatable {
    /// The wait queue already holds `limit` requests.
    case queueFull(limit: Int)
    /// One call asked for more rows than a batch may hold.
    case tooManyRows(limit: Int, got: Int)
    /// The caller's `BatchCancellation` fired before its step ran.
    case cancelled
    /// The logit buffer's row width differs from the model's vocabulary.
    case logitWidthMismatch(expected: Int, got: Int)

    public var description: String {
        switch self {
        case .queueFull(let limit):
            return "batch queue is full (maxQueuedRequests = \(limit)); retry later"
        case .tooManyRows(let limit, let got):
            return "one step asked for \(got) rows, over the batch limit maxBatchRows = \(limit)"
        case .cancelled:
            return "the request was cancelled"
        case .logitWidthMismatch(let expected, let got):
            return "logit matrix width is \(got), the model's vocabulary is \(expected)"
        }
    }
}

/// A flag that one request's owner sets to stop that request's model work.
///
/// `cancel()` is idempotent and thread-safe. A `BatchingModel` call carrying a cancelled flag
/// throws `BatchingError.cancelled` at once, and a call waiting in the queue is woken and throws.
/// All mutable state is guarded by `lock`, which is why the class is `@unchecked Sendable`.
public final class BatchCancellation: @unchecked Sendable {
    private let lock = NSLock()
    private var cancelled = false
    private var handlers: [Int: @Sendable () -> Void] = [:]
    private var nextHandlerKey = 0

    public init() {}

    public var isCancelled: Bool {
        lock.lock(); defer { lock.unlock() }
        return cancelled
    }

    /// Marks the request cancelled and runs the registered handlers once.
    public func cancel() {
        lock.lock()
        if cancelled { lock.unlock(); return }
        cancelled = true
        let toRun = Array(handlers.values)
        handlers.removeAll()
        lock.unlock()
        // Run outside the lock: a handler may take other locks.
        for handler in toRun { handler() }
    }

    /// Registers `handler`; nil when already cancelled (the handler is then not kept).
    func register(_ handler: @escaping @Sendable () -> Void) -> Int? {
        lock.lock(); defer { lock.unlock() }
        if cancelled { return nil }
        nextHandlerKey += 1
        handlers[nextHandlerKey] = handler
        return nextHandlerKey
    }

    func unregister(_ key: Int) {
        lock.lock(); defer { lock.unlock() }
        handlers[key] = nil
    }
}

/// A thread-safe `NextTokenModel` that merges the `extend` calls of many concurrent callers
/// (one thread per live request) into one batched `extend` of the wrapped model per step.
///
/// Continuous batching (as in Orca, Yu et al., OSDI 2022, at the granularity of one decoding
/// step): whoever is waiting when the model becomes free goes into the next batch, so no
/// request waits for another to finish completely. One *driver* thread runs the batches (taking
/// the queue in FIFO order up to `maxBatchRows` rows and `maxBatchTokens` tokens); it starts
/// with the first queued step and ends after `driverLinger` seconds without work, so an idle
/// batcher holds no thread. The model thus always runs on the same thread: handing that role to
/// whichever caller came first, pass after pass, cost a fifth of the throughput of eight
/// concurrent generations (measured; the pool's partner thread kept meeting a new, cold thread).
/// Each batch's logit rows are copied back into every caller's own `LogitMatrix`, so callers see
/// exactly what an unbatched call would give.
///
/// A single call with more tokens than `maxBatchTokens` (a long prompt) runs alone in its batch;
/// one with more rows than `maxBatchRows` is rejected. At most `maxQueuedRequests` calls wait;
/// the next one gets `BatchingError.queueFull`. A sequence that was never created here (or was
/// released), or that would exceed the context length, fails only its own caller's call.
/// `makeSequence`, `fork`, `release` and `length` pass through under the model lock.
///
/// Cost per step: O(rows × vocabulary) extra copying on top of the wrapped model's pass.
/// Mutable state is guarded by `queueLock` (the queue) and `modelLock` (the wrapped model, which
/// is touched by one thread at a time), which is why the class is `@unchecked Sendable`.
public final class BatchingModel: NextTokenModel, @unchecked Sendable {
    /// Bounds of batching.
    public struct Limits: Sendable, Equatable {
        /// Most rows (sequences) in one underlying `extend`.
        public var maxBatchRows: Int
        /// Most tokens in one underlying `extend` (a single larger call runs alone).
        public var maxBatchTokens: Int
        /// Most calls waiting for the model at once.
        public var maxQueuedRequests: Int
        /// How long a new batch may wait for the callers of the previous batch to come back (they
        /// sample their next token between steps), as a fraction of the previous batch's run
        /// time; 0 never waits. Without it, the first caller back runs alone and the rest follow
        /// in a second pass: at 8 concurrent generations the passes averaged 4 rows, not 8.
        public var gatherFraction: Double

        public init(maxBatchRows: Int = 64, maxBatchTokens: Int = 4096, maxQueuedRequests: Int = 256,
                    gatherFraction: Double = 0.25) {
            precondition(maxBatchRows > 0 && maxBatchTokens > 0 && maxQueuedRequests > 0 && gatherFraction >= 0)
            self.maxBatchRows = maxBatchRows
            self.maxBatchTokens = maxBatchTokens
            self.maxQueuedRequests = maxQueuedRequests
            self.gatherFraction = gatherFraction
        }
    }

    /// Counters since creation (a snapshot).
    public struct Statistics: Sendable, Equatable {
        /// Calls waiting for the model now (the queue-depth gauge).
        public var queuedCalls: Int
        /// Underlying `extend` calls made.
        public var underlyingCalls: Int
        /// Caller `extend` calls answered (successfully or not).
        public var completedCalls: Int
        /// Rows sent to the wrapped model.
        public var rows: Int
        /// Largest number of rows in one underlying call.
        public var largestBatchRows: Int
        /// Wall time spent inside underlying calls, in seconds: against elapsed time, how busy
        /// the model is (the rest goes to callers sampling and to gathering them).
        public var busySeconds: Double
    }

    public let limits: Limits
    public let vocabularySize: Int
    public let contextLength: Int

    private let base: any NextTokenModel
    /// Guards `base`, `liveSequences` and `batchLogits`.
    private let modelLock = NSLock()
    /// Guards the queue, `driverRunning`, every `PendingStep.outcome` and the statistics.
    private let queueLock = NSCondition()

    private var liveSequences: Set<SequenceID> = []
    private var batchLogits: LogitMatrix
    private var queue: [PendingStep] = []
    private var queueHead = 0
    /// Whether the driver thread is running (it clears this itself when it ends).
    private var driverRunning = false
    /// How long the driver thread waits for new work before it ends.
    public static let driverLinger = 0.2
    /// When the last batch ended and how long it ran (for gathering the next one), and how many
    /// callers got a result and have not come back since (neither queued a step nor released a
    /// sequence): the ones the next batch may wait for.
    private var lastBatchEnded = DispatchTime(uptimeNanoseconds: 0)
    private var lastBatchNanoseconds: UInt64 = 0
    private var returningCallers = 0
    private var stats = Statistics(queuedCalls: 0, underlyingCalls: 0, completedCalls: 0, rows: 0,
                                   largestBatchRows: 0, busySeconds: 0)

    /// Wraps `base`, which from now on must be used only through this object.
    public init(wrapping base: any NextTokenModel, limits: Limits = Limits()) {
        self.base = base
        self.limits = limits
        self.vocabularySize = base.vocabularySize
        self.contextLength = base.contextLength
        self.batchLogits = LogitMatrix(rows: 0, width: base.vocabularySize)
    }

    public var statistics: Statistics {
        queueLock.lock(); defer { queueLock.unlock() }
        var snapshot = stats
        snapshot.queuedCalls = queue.count - queueHead
        return snapshot
    }

    // MARK: Pass-through

    public func makeSequence() throws -> SequenceID {
        modelLock.lock(); defer { modelLock.unlock() }
        let id = try base.makeSequence()
        liveSequences.insert(id)
        return id
    }

    public func fork(_ parent: SequenceID) throws -> SequenceID {
        modelLock.lock(); defer { modelLock.unlock() }
        guard liveSequences.contains(parent) else { throw TrellisError.sequenceUnknown(parent.rawValue) }
        let id = try base.fork(parent)
        liveSequences.insert(id)
        return id
    }

    public func release(_ sequence: SequenceID) {
        modelLock.lock(); defer { modelLock.unlock() }
        guard liveSequences.remove(sequence) != nil else { return }
        base.release(sequence)
        queueLock.lock()
        if returningCallers > 0 { returningCallers -= 1 }
        queueLock.broadcast()
        queueLock.unlock()
    }

    public func length(of sequence: SequenceID) -> Int {
        modelLock.lock(); defer { modelLock.unlock() }
        return base.length(of: sequence)
    }

    /// Runs `body` on the wrapped model while no batch runs (for introspection such as cache
    /// usage; it waits for the pass in progress, if any).
    public func inspectWrappedModel<T>(_ body: (any NextTokenModel) -> T) -> T {
        modelLock.lock(); defer { modelLock.unlock() }
        return body(base)
    }

    /// A per-request view of this model whose calls carry `cancellation`.
    public func client(cancellation: BatchCancellation = BatchCancellation()) -> BatchingClient {
        BatchingClient(model: self, cancellation: cancellation)
    }

    // MARK: Batched extend

    public func extend(_ requests: [SequenceExtension], logits: LogitMatrix) throws {
        try extend(requests, logits: logits, cancellation: nil)
    }

    /// `extend` for one caller, merged with other callers' concurrent steps.
    /// Throws `BatchingError.cancelled` when `cancellation` fires before the step has run.
    public func extend(_ requests: [SequenceExtension], logits: LogitMatrix,
                       cancellation: BatchCancellation?) throws {
        guard logits.width == vocabularySize else {
            throw BatchingError.logitWidthMismatch(expected: vocabularySize, got: logits.width)
        }
        if requests.isEmpty { logits.resize(rows: 0); return }
        guard requests.count <= limits.maxBatchRows else {
            throw BatchingError.tooManyRows(limit: limits.maxBatchRows, got: requests.count)
        }
        var tokenCount = 0
        for (i, request) in requests.enumerated() {
            guard !request.tokens.isEmpty else {
                throw TrellisError.invalidArgument("extension \(i) for \(request.sequence) carries no token")
            }
            tokenCount += request.tokens.count
        }
        let step = PendingStep(requests: requests, logits: logits, tokenCount: tokenCount,
                               cancellation: cancellation)

        // Register before enqueueing so the handler never runs while we hold queueLock.
        var registration: Int?
        if let cancellation {
            let stepID = ObjectIdentifier(step)
            registration = cancellation.register { [weak self] in self?.cancelWaiting(stepID) }
            if registration == nil { throw BatchingError.cancelled }
        }
        defer { if let registration { cancellation?.unregister(registration) } }

        queueLock.lock()
        if queue.count - queueHead >= limits.maxQueuedRequests {
            queueLock.unlock()
            throw BatchingError.queueFull(limit: limits.maxQueuedRequests)
        }
        queue.append(step)
        if returningCallers > 0 { returningCallers -= 1 }
        queueLock.broadcast()  // the driver may be waiting for work or gathering its batch
        if !driverRunning {
            driverRunning = true
            let driver = Thread { [self] in driveWhileThereIsWork() }
            driver.name = "trellis-batcher"
            driver.start()
        }
        while step.outcome == .waiting { queueLock.wait() }
        let outcome = step.outcome
        queueLock.unlock()
        switch outcome {
        case .done: return
        case .failed(let error): throw error
        case .waiting: preconditionFailure("step left the batcher unfinished")
        }
    }

    /// Called by a cancellation handler: fails `step` at once if it is still only waiting.
    /// A step already taken into a batch is no longer in the queue and runs to its end.
    private func cancelWaiting(_ stepID: ObjectIdentifier) {
        queueLock.lock(); defer { queueLock.unlock() }
        guard let index = queue[queueHead...].firstIndex(where: { ObjectIdentifier($0) == stepID }),
              queue[index].outcome == .waiting else { return }
        let step = queue.remove(at: index)
        step.outcome = .failed(BatchingError.cancelled)
        stats.completedCalls += 1
        queueLock.broadcast()
    }

    /// The driver thread's body: runs batches while steps are queued, and ends once the queue
    /// has stayed empty for `driverLinger` seconds.
    private func driveWhileThereIsWork() {
        queueLock.lock()
        while true {
            if queueHead >= queue.count {
                let deadline = Date(timeIntervalSinceNow: Self.driverLinger)
                while queueHead >= queue.count {
                    if !queueLock.wait(until: deadline) && queueHead >= queue.count {
                        driverRunning = false
                        queueLock.unlock()
                        return
                    }
                }
            }
            gatherReturningCallers()
            let batch = takeBatch()
            queueLock.unlock()

            let started = DispatchTime.now()
            let outcomes = batch.isEmpty ? [] : run(batch)

            queueLock.lock()
            if !batch.isEmpty {
                lastBatchEnded = DispatchTime.now()
                lastBatchNanoseconds = lastBatchEnded.uptimeNanoseconds - started.uptimeNanoseconds
                stats.busySeconds += Double(lastBatchNanoseconds) / 1e9
            }
            for (step, outcome) in zip(batch, outcomes) { step.outcome = outcome }
            returningCallers += outcomes.filter { $0 == .done }.count
            stats.completedCalls += outcomes.count
            queueLock.broadcast()
        }
    }

    /// Waits (queueLock held) until every caller that got a result from an earlier batch has
    /// come back (queued its next step or released a sequence), or `gatherFraction` of the last
    /// batch's run time has passed since it ended. Counting all of them, not just the last
    /// batch's, keeps callers that started together from settling into two alternating half
    /// batches. A lone caller, or one arriving long after the last batch, never waits.
    private func gatherReturningCallers() {
        guard returningCallers > 0, limits.gatherFraction > 0 else { return }
        let window = UInt64(Double(lastBatchNanoseconds) * limits.gatherFraction)
        let deadline = lastBatchEnded.uptimeNanoseconds + window
        while returningCallers > 0 {
            let now = DispatchTime.now().uptimeNanoseconds
            guard now < deadline else {
                // Whoever has not come back by now is not sampling a next step (finished
                // without releasing yet, or slow): later batches do not wait for them again.
                returningCallers = 0
                return
            }
            _ = queueLock.wait(until: Date(timeIntervalSinceNow: Double(deadline - now) / 1e9))
        }
    }

    /// Removes the next batch from the queue in FIFO order (queueLock held). Cancelled steps are
    /// failed and skipped; the batch stops at the first step that would break a bound or repeat
    /// a sequence already in the batch (the base model requires distinct sequences).
    private func takeBatch() -> [PendingStep] {
        var batch: [PendingStep] = []
        var rows = 0, tokens = 0
        var sequences = Set<SequenceID>()
        while queueHead < queue.count {
            let step = queue[queueHead]
            if step.cancellation?.isCancelled == true {
                step.outcome = .failed(BatchingError.cancelled)
                stats.completedCalls += 1
                queueHead += 1
                continue
            }
            if !batch.isEmpty {
                if rows + step.requests.count > limits.maxBatchRows { break }
                if tokens + step.tokenCount > limits.maxBatchTokens { break }
                if step.requests.contains(where: { sequences.contains($0.sequence) }) { break }
            }
            batch.append(step)
            rows += step.requests.count
            tokens += step.tokenCount
            for request in step.requests { sequences.insert(request.sequence) }
            queueHead += 1
        }
        // Compact the consumed prefix now and then, so the array does not grow without bound.
        if queueHead > 64 && queueHead * 2 > queue.count {
            queue.removeFirst(queueHead)
            queueHead = 0
        }
        return batch
    }

    /// Validates each step, runs the valid ones in one underlying call and copies their rows
    /// back. Returns one outcome per step, in order.
    private func run(_ batch: [PendingStep]) -> [PendingStep.Outcome] {
        modelLock.lock(); defer { modelLock.unlock() }
        var outcomes = [PendingStep.Outcome](repeating: .done, count: batch.count)
        var merged: [SequenceExtension] = []
        var included: [Int] = []
        for (index, step) in batch.enumerated() {
            if let error = validate(step) {
                outcomes[index] = .failed(error)
                continue
            }
            merged.append(contentsOf: step.requests)
            included.append(index)
        }
        if merged.isEmpty { return outcomes }

        batchLogits.resize(rows: merged.count)
        do {
            try base.extend(merged, logits: batchLogits)
        } catch {
            for index in included { outcomes[index] = .failed(error) }
            return outcomes
        }
        var row = 0
        for index in included {
            let step = batch[index]
            step.logits.resize(rows: step.requests.count)
            for r in 0..<step.requests.count {
                _ = step.logits.row(r).update(fromContentsOf: batchLogits.row(row))
                row += 1
            }
        }
        queueLock.lock()
        stats.underlyingCalls += 1
        stats.rows += merged.count
        stats.largestBatchRows = max(stats.largestBatchRows, merged.count)
        queueLock.unlock()
        return outcomes
    }

    /// Why `step` cannot run (modelLock held), or nil.
    private func validate(_ step: PendingStep) -> Error? {
        var seen = Set<SequenceID>()
        for request in step.requests {
            guard liveSequences.contains(request.sequence) else {
                return TrellisError.sequenceUnknown(request.sequence.rawValue)
            }
            guard seen.insert(request.sequence).inserted else {
                return TrellisError.invalidArgument("\(request.sequence) appears twice in one step")
            }
            let newLength = base.length(of: request.sequence) + request.tokens.count
            if newLength > contextLength {
                return TrellisError.limitExceeded(what: "length of \(request.sequence)",
                                                  limit: contextLength, got: newLength)
            }
        }
        return nil
    }
}

/// One caller's step while it waits in, or runs through, the batcher.
private final class PendingStep {
    enum Outcome: Equatable {
        case waiting
        case done
        case failed(Error)

        static func == (a: Outcome, b: Outcome) -> Bool {
            switch (a, b) {
            case (.waiting, .waiting), (.done, .done): return true
            case (.failed, .failed): return true
            default: return false
            }
        }
    }

    let requests: [SequenceExtension]
    let logits: LogitMatrix
    let tokenCount: Int
    let cancellation: BatchCancellation?
    var outcome: Outcome = .waiting

    init(requests: [SequenceExtension], logits: LogitMatrix, tokenCount: Int,
         cancellation: BatchCancellation?) {
        self.requests = requests
        self.logits = logits
        self.tokenCount = tokenCount
        self.cancellation = cancellation
    }
}

/// One request's view of a `BatchingModel`: every `extend` carries the request's cancellation,
/// and the sequences it creates are remembered so `releaseAll()` frees them when the request
/// ends (normally, by error or by cancellation). Used by one request at a time, not shared.
public final class BatchingClient: NextTokenModel {
    public let model: BatchingModel
    public let cancellation: BatchCancellation
    private var owned: Set<SequenceID> = []

    init(model: BatchingModel, cancellation: BatchCancellation) {
        self.model = model
        self.cancellation = cancellation
    }

    public var vocabularySize: Int { model.vocabularySize }
    public var contextLength: Int { model.contextLength }

    public func makeSequence() throws -> SequenceID {
        if cancellation.isCancelled { throw BatchingError.cancelled }
        let id = try model.makeSequence()
        owned.insert(id)
        return id
    }

    public func fork(_ parent: SequenceID) throws -> SequenceID {
        if cancellation.isCancelled { throw BatchingError.cancelled }
        let id = try model.fork(parent)
        owned.insert(id)
        return id
    }

    public func release(_ sequence: SequenceID) {
        owned.remove(sequence)
        model.release(sequence)
    }

    public func length(of sequence: SequenceID) -> Int { model.length(of: sequence) }

    public func extend(_ requests: [SequenceExtension], logits: LogitMatrix) throws {
        try model.extend(requests, logits: logits, cancellation: cancellation)
    }

    /// Releases every sequence this client created and has not released.
    public func releaseAll() {
        for id in owned { model.release(id) }
        owned.removeAll()
    }

    deinit { releaseAll() }
}

extension BatchingModel {
    /// The threads request loops run on (reused; see `BlockingThreadPool`).
    static let requestThreads = BlockingThreadPool()

    /// Runs a blocking decode loop (`body`, which calls `extend` on `client`) on a thread of its
    /// own (a reused one for the default stack size) and awaits it. Cancelling the awaiting task fires the client's cancellation, so the
    /// loop's next `extend` throws `BatchingError.cancelled` (or it is woken from the queue), and
    /// the client's sequences are released when the loop ends either way.
    ///
    /// Why a thread per request: `extend` blocks until the request's batch has run, and Swift's
    /// cooperative pool has one thread per core, so a blocking loop there would stall every
    /// other request; dedicated threads let all live requests wait together in one batch.

    public func runOnDedicatedThread<T: Sendable>(
        stackSize: Int = 1 << 20,
        _ body: @escaping @Sendable (BatchingClient) throws -> T
    ) async throws -> T {
        let cancellation = BatchCancellation()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
                let job: @Sendable () -> Void = { [self] in
                    let client = self.client(cancellation: cancellation)
                    let result = Result { try body(client) }
                    client.releaseAll()
                    continuation.resume(with: result)
                }
                if stackSize == Self.requestThreads.stackSize {
                    Self.requestThreads.run(job)
                } else {
                    let thread = Thread(block: job)
                    thread.stackSize = stackSize
                    thread.start()
                }
            }
        } onCancel: {
            cancellation.cancel()
        }
    }
}
