import Foundation
import TrellisCore

/// A tiny deterministic `NextTokenModel` for batching tests: the logits after a history are a
/// fixed hash of (history, token), so any two runs that feed the same tokens see the same rows,
/// whatever the batching. It counts underlying `extend` calls and rows, records the largest
/// batch, and flags any overlapping (concurrent) call or repeated sequence within a call, which
/// a correct batcher never makes. An optional per-call delay stands in for a forward pass, and
/// an optional gate lets a test hold a call inside the model.
///
/// Cost: O(rows × vocabulary) per call. All state is guarded by `lock` (@unchecked Sendable).
public final class FakeCountingModel: NextTokenModel, @unchecked Sendable {
    public let vocabularySize: Int
    public let contextLength: Int
    /// Sleep per underlying call, standing in for the forward pass.
    public let delayPerCall: TimeInterval

    private let lock = NSLock()
    private var histories: [Int: [TokenID]] = [:]
    private var nextID = 0
    private var inFlight = 0
    private var _extendCalls = 0
    private var _rows = 0
    private var _largestBatch = 0
    private var _violations: [String] = []
    private var _failNextExtend: Error?
    private var _gate: (@Sendable () -> Void)?

    public init(vocabularySize: Int = 37, contextLength: Int = 512, delayPerCall: TimeInterval = 0) {
        self.vocabularySize = vocabularySize
        self.contextLength = contextLength
        self.delayPerCall = delayPerCall
    }

    public var extendCalls: Int { locked { _extendCalls } }
    public var rowsExtended: Int { locked { _rows } }
    public var largestBatch: Int { locked { _largestBatch } }
    /// Descriptions of contract violations seen (empty for a correct caller).
    public var violations: [String] { locked { _violations } }
    public var liveSequenceCount: Int { locked { histories.count } }

    /// Makes the next `extend` throw `error` (after recording the call).
    public func failNextExtend(with error: Error) { locked { _failNextExtend = error } }
    /// Runs `gate` at the start of every `extend` (for example to block on a semaphore).
    public func setGate(_ gate: (@Sendable () -> Void)?) { locked { _gate = gate } }

    public func makeSequence() throws -> SequenceID {
        locked {
            nextID += 1
            histories[nextID] = []
            return SequenceID(rawValue: nextID)
        }
    }

    public func fork(_ parent: SequenceID) throws -> SequenceID {
        try locked {
            guard let history = histories[parent.rawValue] else {
                throw TrellisError.sequenceUnknown(parent.rawValue)
            }
            nextID += 1
            histories[nextID] = history
            return SequenceID(rawValue: nextID)
        }
    }

    public func release(_ sequence: SequenceID) {
        locked { _ = histories.removeValue(forKey: sequence.rawValue) }
    }

    public func length(of sequence: SequenceID) -> Int {
        locked { histories[sequence.rawValue]?.count ?? 0 }
    }

    public func extend(_ requests: [SequenceExtension], logits: LogitMatrix) throws {
        let gate: (@Sendable () -> Void)? = locked {
            inFlight += 1
            if inFlight > 1 { _violations.append("\(inFlight) extend calls overlapped") }
            _extendCalls += 1
            _rows += requests.count
            _largestBatch = max(_largestBatch, requests.count)
            return _gate
        }
        defer { locked { inFlight -= 1 } }
        gate?()
        if delayPerCall > 0 { Thread.sleep(forTimeInterval: delayPerCall) }
        if let error = locked({ () -> Error? in
            defer { _failNextExtend = nil }
            return _failNextExtend
        }) { throw error }

        logits.resize(rows: requests.count)
        var seen = Set<SequenceID>()
        for (row, request) in requests.enumerated() {
            if !seen.insert(request.sequence).inserted {
                locked { _violations.append("\(request.sequence) twice in one call") }
            }
            let history: [TokenID] = try locked {
                guard var history = histories[request.sequence.rawValue] else {
                    throw TrellisError.sequenceUnknown(request.sequence.rawValue)
                }
                history.append(contentsOf: request.tokens)
                histories[request.sequence.rawValue] = history
                return history
            }
            Self.fillLogits(after: history, into: logits.row(row))
        }
    }

    /// The logits the fake gives after `history` (the reference for unbatched comparisons).
    public static func logits(after history: [TokenID], vocabularySize: Int) -> [Float] {
        var row = [Float](repeating: 0, count: vocabularySize)
        row.withUnsafeMutableBufferPointer { fillLogits(after: history, into: $0) }
        return row
    }

    private static func fillLogits(after history: [TokenID], into row: UnsafeMutableBufferPointer<Float>) {
        // FNV-1a over the history, then a splitmix-style mix per vocabulary entry.
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for token in history {
            h ^= UInt64(UInt32(bitPattern: token))
            h = h &* 0x0000_0100_0000_01b3
        }
        for v in 0..<row.count {
            var z = h &+ UInt64(v) &* 0x9e37_79b9_7f4a_7c15
            z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
            z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
            z ^= z >> 31
            row[v] = Float(z >> 40) / Float(1 << 24) * 8 - 4
        }
    }

    private func locked<T>(_ body: () throws -> T) rethrows -> T {
        lock.lock(); defer { lock.unlock() }
        return try body()
    }
}
