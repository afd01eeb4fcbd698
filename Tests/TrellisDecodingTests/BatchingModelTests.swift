import Foundation
import TrellisCore
import TrellisDecoding
import TrellisTestSupport
import XCTest

final class BatchingModelTests: XCTestCase {
    /// Runs `body(i)` on `count` real threads at once and waits (bounded) for all of them.
    private func runThreads(_ count: Int, timeout: TimeInterval = 60,
                            _ body: @escaping @Sendable (Int) -> Void) {
        let group = DispatchGroup()
        for i in 0..<count {
            group.enter()
            let thread = Thread {
                body(i)
                group.leave()
            }
            thread.stackSize = 1 << 20
            thread.start()
        }
        XCTAssertEqual(group.wait(timeout: .now() + timeout), .success, "threads did not finish in time")
    }

    /// Polls `condition` every millisecond for at most `timeout` seconds.
    private func waitUntil(timeout: TimeInterval = 10, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if condition() { return true }
            usleep(1000)
        }
        return condition()
    }

    private static func argmax(_ row: [Float]) -> TokenID {
        var best = 0
        for i in row.indices where row[i] > row[best] { best = i }
        return TokenID(best)
    }

    /// Greedy decoding of one request (one or two beams) through `model`, returning every logit
    /// row seen. Deterministic given the thread index, so batched and unbatched runs compare.
    private static func decode(index: Int, steps: Int, model: any NextTokenModel) throws -> [[Float]] {
        let logits = LogitMatrix(rows: 1, width: model.vocabularySize)
        let first = try model.makeSequence()
        var sequences = [first]
        let prompt = (0...(index % 5)).map { TokenID(($0 * 7 + index) % model.vocabularySize) }
        var pending = [prompt]
        var seen: [[Float]] = []
        for step in 0..<steps {
            let requests = zip(sequences, pending).map { SequenceExtension(sequence: $0, tokens: $1) }
            try model.extend(requests, logits: logits)
            XCTAssertEqual(logits.rows, sequences.count)
            for r in 0..<logits.rows { seen.append(logits.rowArray(r)) }
            pending = (0..<logits.rows).map { [argmax(logits.rowArray($0))] }
            // Odd requests fork a second beam after a few steps, so calls carry 1 or 2 rows.
            if index % 2 == 1 && step == 3 {
                sequences.append(try model.fork(first))
                pending.append([TokenID((index + step) % model.vocabularySize)])
            }
        }
        for s in sequences { model.release(s) }
        return seen
    }

    func testConcurrentCallersSeeExactlyTheUnbatchedLogitsInFarFewerCalls() throws {
        let threads = 16, steps = 40
        let reference = FakeCountingModel(vocabularySize: 53)
        var expected: [[[Float]]] = []
        for i in 0..<threads { expected.append(try Self.decode(index: i, steps: steps, model: reference)) }
        XCTAssertEqual(reference.extendCalls, threads * steps)

        let base = FakeCountingModel(vocabularySize: 53, delayPerCall: 0.002)
        let batching = BatchingModel(wrapping: base, limits: .init(maxBatchRows: 64))
        let results = ResultBox<[[Float]]>(count: threads)
        runThreads(threads) { i in
            results.set(i, Result { try Self.decode(index: i, steps: steps, model: batching) })
        }
        for i in 0..<threads {
            let got = try XCTUnwrap(results.get(i)).get()
            XCTAssertEqual(got, expected[i], "thread \(i) saw different logits when batched")
        }
        let calls = base.extendCalls
        XCTAssertLessThan(calls, threads * steps / 4, "batching merged too little: \(calls) calls")
        XCTAssertGreaterThan(base.largestBatch, 4)
        XCTAssertEqual(base.violations, [])
        XCTAssertEqual(base.liveSequenceCount, 0)
        let stats = batching.statistics
        XCTAssertEqual(stats.underlyingCalls, calls)
        XCTAssertEqual(stats.completedCalls, threads * steps)
        XCTAssertEqual(stats.queuedCalls, 0)
        print("batched \(threads)×\(steps) steps into \(calls) underlying calls, largest \(base.largestBatch) rows")
    }

    /// Callers that sample between steps (here: sleep 0.3 ms) come back one by one; the next
    /// batch waits for them instead of running the first one alone and the rest after it.
    func testCallersReturningFromSamplingShareTheNextPass() throws {
        let threads = 8, steps = 20
        // 20 ms passes and a window of 5 passes, so a loaded machine's late thread wake-ups
        // (several ms at load 10 on 2 cores) still make it back in time.
        let base = FakeCountingModel(delayPerCall: 0.02)
        let batching = BatchingModel(wrapping: base, limits: .init(gatherFraction: 5))
        // All callers start together (thread start-up would otherwise stagger the first passes).
        let ready = DispatchGroup(), start = DispatchSemaphore(value: 0)
        for _ in 0..<threads { ready.enter() }
        Thread { ready.wait(); for _ in 0..<threads { start.signal() } }.start()
        runThreads(threads) { _ in
            let sequence = try! batching.makeSequence()
            let logits = LogitMatrix(rows: 1, width: batching.vocabularySize)
            ready.leave()
            start.wait()
            for step in 0..<steps {
                try! batching.extend([.init(sequence: sequence, tokens: [TokenID(step)])], logits: logits)
                usleep(300)
            }
            batching.release(sequence)
        }
        let stats = batching.statistics
        let rowsPerPass = Double(stats.rows) / Double(stats.underlyingCalls)
        print("\(threads) callers × \(steps) steps: \(stats.underlyingCalls) passes, \(rowsPerPass) rows per pass")
        XCTAssertGreaterThanOrEqual(rowsPerPass, 5.5, "passes did not gather the returning callers (about 4 without)")
        XCTAssertEqual(base.violations, [])
    }

    /// The driver thread ends once the batcher has been idle for `driverLinger` and a new one
    /// starts with the next step: calls on either side of a pause are answered alike, and the
    /// idle batcher holds no thread (counted in /proc on Linux).
    func testDriverThreadEndsWhenIdleAndRestarts() throws {
        let base = FakeCountingModel(vocabularySize: 53)
        let batching = BatchingModel(wrapping: base)
        let sequence = try batching.makeSequence()
        let logits = LogitMatrix(rows: 1, width: batching.vocabularySize)
        func threads() -> Int? { try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task").count }
        let before = threads()
        try batching.extend([.init(sequence: sequence, tokens: [1])], logits: logits)
        let first = logits.rowArray(0)
        Thread.sleep(forTimeInterval: BatchingModel.driverLinger * 3)
        if let before, let after = threads() { XCTAssertLessThanOrEqual(after, before, "the idle driver thread did not end") }
        try batching.extend([.init(sequence: sequence, tokens: [2])], logits: logits)
        XCTAssertEqual(base.extendCalls, 2)
        XCTAssertNotEqual(logits.rowArray(0), first)
        batching.release(sequence)
        XCTAssertEqual(batching.statistics.completedCalls, 2)
    }

    func testBatchesRespectTheRowBound() throws {
        let base = FakeCountingModel(delayPerCall: 0.002)
        let batching = BatchingModel(wrapping: base, limits: .init(maxBatchRows: 3))
        let failures = ResultBox<Void>(count: 8)
        runThreads(8) { i in
            failures.set(i, Result { _ = try Self.decode(index: 0, steps: 10, model: batching) })
        }
        for i in 0..<8 { XCTAssertNoThrow(try XCTUnwrap(failures.get(i)).get()) }
        XCTAssertLessThanOrEqual(base.largestBatch, 3)
        XCTAssertEqual(base.violations, [])

        let seqs = try (0..<4).map { _ in try batching.makeSequence() }
        let logits = LogitMatrix(rows: 1, width: batching.vocabularySize)
        XCTAssertThrowsError(try batching.extend(seqs.map { .init(sequence: $0, tokens: [1]) }, logits: logits)) {
            XCTAssertEqual($0 as? BatchingError, .tooManyRows(limit: 3, got: 4))
        }
    }

    func testLongPromptOverTheTokenBoundRunsAlone() throws {
        let base = FakeCountingModel()
        let batching = BatchingModel(wrapping: base, limits: .init(maxBatchTokens: 10))
        let seq = try batching.makeSequence()
        let logits = LogitMatrix(rows: 1, width: batching.vocabularySize)
        let prompt = (0..<50).map { TokenID($0 % 37) }
        try batching.extend([.init(sequence: seq, tokens: prompt)], logits: logits)
        XCTAssertEqual(logits.rowArray(0), FakeCountingModel.logits(after: prompt, vocabularySize: 37))
    }

    /// Holds the first call inside the model until `release()`.
    private final class Gate: @unchecked Sendable {
        let entered = DispatchSemaphore(value: 0)
        let open = DispatchSemaphore(value: 0)
        func install(on model: FakeCountingModel) {
            model.setGate { [self] in
                model.setGate(nil)
                entered.signal()
                _ = open.wait(timeout: .now() + 30)
            }
        }
    }

    func testFullQueueIsAClearErrorAndTheQueuedCallsStillFinish() throws {
        let base = FakeCountingModel()
        let batching = BatchingModel(wrapping: base, limits: .init(maxQueuedRequests: 2))
        let gate = Gate()
        gate.install(on: base)
        let seqs = try (0..<4).map { _ in try batching.makeSequence() }
        let results = ResultBox<Void>(count: 3)
        let group = DispatchGroup()
        for i in 0..<3 {
            group.enter()
            Thread {
                let logits = LogitMatrix(rows: 1, width: 37)
                results.set(i, Result { try batching.extend([.init(sequence: seqs[i], tokens: [5])], logits: logits) })
                group.leave()
            }.start()
            if i == 0 { XCTAssertEqual(gate.entered.wait(timeout: .now() + 10), .success) }
        }
        XCTAssertTrue(waitUntil { batching.statistics.queuedCalls == 2 })
        let logits = LogitMatrix(rows: 1, width: 37)
        XCTAssertThrowsError(try batching.extend([.init(sequence: seqs[3], tokens: [5])], logits: logits)) { error in
            XCTAssertEqual(error as? BatchingError, .queueFull(limit: 2))
            XCTAssertTrue("\(error)".contains("maxQueuedRequests = 2"))
        }
        gate.open.signal()
        XCTAssertEqual(group.wait(timeout: .now() + 30), .success)
        for i in 0..<3 { XCTAssertNoThrow(try XCTUnwrap(results.get(i)).get()) }
        // The two queued calls ran together in one batch.
        XCTAssertEqual(base.extendCalls, 2)
        XCTAssertEqual(base.largestBatch, 2)
    }

    func testCancelledCallerIsWokenAtOnceWhileTheModelIsBusy() throws {
        let base = FakeCountingModel()
        let batching = BatchingModel(wrapping: base)
        let gate = Gate()
        gate.install(on: base)
        let a = try batching.makeSequence(), b = try batching.makeSequence()
        let group = DispatchGroup()
        let results = ResultBox<Void>(count: 2)
        group.enter()
        Thread {
            let logits = LogitMatrix(rows: 1, width: 37)
            results.set(0, Result { try batching.extend([.init(sequence: a, tokens: [1])], logits: logits) })
            group.leave()
        }.start()
        XCTAssertEqual(gate.entered.wait(timeout: .now() + 10), .success)

        let cancellation = BatchCancellation()
        let bDone = DispatchSemaphore(value: 0)
        Thread {
            let logits = LogitMatrix(rows: 1, width: 37)
            results.set(1, Result {
                try batching.extend([.init(sequence: b, tokens: [1])], logits: logits, cancellation: cancellation)
            })
            bDone.signal()
        }.start()
        XCTAssertTrue(waitUntil { batching.statistics.queuedCalls == 1 })
        cancellation.cancel()
        XCTAssertEqual(bDone.wait(timeout: .now() + 5), .success, "cancelled caller was not woken")
        XCTAssertThrowsError(try XCTUnwrap(results.get(1)).get()) {
            XCTAssertEqual($0 as? BatchingError, .cancelled)
        }
        XCTAssertEqual(batching.statistics.queuedCalls, 0)
        gate.open.signal()
        XCTAssertEqual(group.wait(timeout: .now() + 10), .success)
        XCTAssertNoThrow(try XCTUnwrap(results.get(0)).get())
        XCTAssertEqual(base.length(of: b), 0, "the cancelled step must not reach the model")

        // A client whose request was cancelled fails at its next call.
        let client = batching.client()
        let seq = try client.makeSequence()
        client.cancellation.cancel()
        let logits = LogitMatrix(rows: 1, width: 37)
        XCTAssertThrowsError(try client.extend([.init(sequence: seq, tokens: [2])], logits: logits)) {
            XCTAssertEqual($0 as? BatchingError, .cancelled)
        }
        XCTAssertThrowsError(try client.makeSequence())
        XCTAssertEqual(base.liveSequenceCount, 3)
        client.releaseAll()
        XCTAssertEqual(base.liveSequenceCount, 2, "the client released exactly its own sequence")
    }

    func testABadStepFailsOnlyItsOwnCaller() throws {
        let base = FakeCountingModel(contextLength: 8)
        let batching = BatchingModel(wrapping: base)
        let gate = Gate()
        gate.install(on: base)
        let holder = try batching.makeSequence(), good = try batching.makeSequence()
        let tooLong = try batching.makeSequence()
        let steps: [[SequenceExtension]] = [
            [.init(sequence: holder, tokens: [1])],
            [.init(sequence: good, tokens: [1, 2])],
            [.init(sequence: SequenceID(rawValue: 999), tokens: [1])],
            [.init(sequence: tooLong, tokens: Array(repeating: 3, count: 9))],
            [.init(sequence: tooLong, tokens: [4]), .init(sequence: tooLong, tokens: [5])],
        ]
        let results = ResultBox<[Float]>(count: steps.count)
        let group = DispatchGroup()
        for (i, step) in steps.enumerated() {
            group.enter()
            Thread {
                let logits = LogitMatrix(rows: 1, width: 37)
                results.set(i, Result { try batching.extend(step, logits: logits); return logits.rowArray(0) })
                group.leave()
            }.start()
            if i == 0 { XCTAssertEqual(gate.entered.wait(timeout: .now() + 10), .success) }
        }
        XCTAssertTrue(waitUntil { batching.statistics.queuedCalls == steps.count - 1 })
        gate.open.signal()
        XCTAssertEqual(group.wait(timeout: .now() + 30), .success)
        XCTAssertEqual(try XCTUnwrap(results.get(0)).get(), FakeCountingModel.logits(after: [1], vocabularySize: 37))
        XCTAssertEqual(try XCTUnwrap(results.get(1)).get(), FakeCountingModel.logits(after: [1, 2], vocabularySize: 37))
        XCTAssertThrowsError(try XCTUnwrap(results.get(2)).get()) {
            XCTAssertEqual($0 as? TrellisError, .sequenceUnknown(999))
        }
        XCTAssertThrowsError(try XCTUnwrap(results.get(3)).get()) {
            XCTAssertEqual($0 as? TrellisError, .limitExceeded(what: "length of \(tooLong)", limit: 8, got: 9))
        }
        XCTAssertThrowsError(try XCTUnwrap(results.get(4)).get()) {
            XCTAssertEqual($0 as? TrellisError, .invalidArgument("\(tooLong) appears twice in one step"))
        }
        XCTAssertEqual(base.extendCalls, 2)
        XCTAssertEqual(base.violations, [])
    }

    func testAnErrorOfTheWrappedModelReachesItsBatchAndTheModelRecovers() throws {
        let base = FakeCountingModel()
        let batching = BatchingModel(wrapping: base)
        let seq = try batching.makeSequence()
        let logits = LogitMatrix(rows: 1, width: 37)
        base.failNextExtend(with: TrellisError.invalidArgument("injected"))
        XCTAssertThrowsError(try batching.extend([.init(sequence: seq, tokens: [1])], logits: logits)) {
            XCTAssertEqual($0 as? TrellisError, .invalidArgument("injected"))
        }
        try batching.extend([.init(sequence: seq, tokens: [2])], logits: logits)
        XCTAssertEqual(logits.rowArray(0), FakeCountingModel.logits(after: [2], vocabularySize: 37))
    }

    func testTwoCallersOnOneSequenceNeverShareACall() throws {
        let base = FakeCountingModel(delayPerCall: 0.001)
        let batching = BatchingModel(wrapping: base)
        let shared = try batching.makeSequence()
        runThreads(6) { _ in
            let logits = LogitMatrix(rows: 1, width: 37)
            for _ in 0..<20 { try? batching.extend([.init(sequence: shared, tokens: [3])], logits: logits) }
        }
        XCTAssertEqual(base.violations, [])
        XCTAssertEqual(batching.length(of: shared), 120)
    }

    func testDegenerateCalls() throws {
        let base = FakeCountingModel()
        let batching = BatchingModel(wrapping: base)
        let seq = try batching.makeSequence()
        let logits = LogitMatrix(rows: 3, width: 37)
        try batching.extend([], logits: logits)
        XCTAssertEqual(logits.rows, 0)
        XCTAssertEqual(base.extendCalls, 0)
        XCTAssertThrowsError(try batching.extend([.init(sequence: seq, tokens: [])], logits: logits))
        XCTAssertThrowsError(try batching.extend([.init(sequence: seq, tokens: [1])],
                                                 logits: LogitMatrix(rows: 1, width: 5))) {
            XCTAssertEqual($0 as? BatchingError, .logitWidthMismatch(expected: 37, got: 5))
        }
        XCTAssertThrowsError(try batching.fork(SequenceID(rawValue: 12345)))
        batching.release(seq)
        batching.release(seq)  // a second release is ignored, not passed on
        XCTAssertEqual(base.liveSequenceCount, 0)
        let cancelled = BatchCancellation()
        cancelled.cancel()
        cancelled.cancel()
        XCTAssertThrowsError(try batching.extend([.init(sequence: seq, tokens: [1])], logits: logits,
                                                 cancellation: cancelled)) {
            XCTAssertEqual($0 as? BatchingError, .cancelled)
        }
    }
}

/// Results written by worker threads, read by the test after they joined.
final class ResultBox<T>: @unchecked Sendable {
    private let lock = NSLock()
    private var values: [Result<T, Error>?]
    init(count: Int) { values = Array(repeating: nil, count: count) }
    func set(_ i: Int, _ value: Result<T, Error>) { lock.lock(); values[i] = value; lock.unlock() }
    func get(_ i: Int) -> Result<T, Error>? { lock.lock(); defer { lock.unlock() }; return values[i] }
}
