import Foundation
import TrellisCore

/// A deterministic stand-in for a language model: the logit of each token is a hash of the
/// whole token history (salted), so decoders are checked against brute-force enumeration in
/// milliseconds. Sequences, forks and releases behave like a real cache (a fork copies the
/// history), misuse is counted rather than tolerated silently, and every call is counted so
/// tests can assert batching. Conforms to `AllPositionLogitsModel` (see `LastRowToyModel` for a
/// model that does not).
public final class ToyModel: AllPositionLogitsModel {
    public let vocabularySize: Int
    public let contextLength: Int
    public let salt: UInt64
    /// Tokens whose logit is always -inf (the model never produces them).
    public let impossibleTokens: Set<TokenID>

    private var histories: [Int: [TokenID]] = [:]
    private var nextID = 0

    /// `extend` calls and the rows they returned.
    public private(set) var extendCalls = 0
    public private(set) var extendedRows = 0
    /// `extendReturningAllLogits` calls.
    public private(set) var allLogitsCalls = 0
    /// Tokens appended by either call.
    public private(set) var appendedTokens = 0
    public private(set) var forkCalls = 0
    /// Releases of sequences that were unknown (double release or never created).
    public private(set) var invalidReleases = 0
    public var liveSequences: Int { histories.count }

    public init(vocabularySize: Int, contextLength: Int = 4096, salt: UInt64 = 0, impossibleTokens: Set<TokenID> = []) {
        self.vocabularySize = vocabularySize
        self.contextLength = contextLength
        self.salt = salt
        self.impossibleTokens = impossibleTokens
    }

    public func makeSequence() throws -> SequenceID {
        nextID += 1
        histories[nextID] = []
        return SequenceID(rawValue: nextID)
    }

    public func fork(_ parent: SequenceID) throws -> SequenceID {
        guard let h = histories[parent.rawValue] else { throw TrellisError.sequenceUnknown(parent.rawValue) }
        forkCalls += 1
        nextID += 1
        histories[nextID] = h
        return SequenceID(rawValue: nextID)
    }

    public func release(_ sequence: SequenceID) {
        if histories.removeValue(forKey: sequence.rawValue) == nil { invalidReleases += 1 }
    }

    public func length(of sequence: SequenceID) -> Int { histories[sequence.rawValue]?.count ?? 0 }

    /// The tokens of `sequence` so far.
    public func history(of sequence: SequenceID) -> [TokenID]? { histories[sequence.rawValue] }

    public func extend(_ requests: [SequenceExtension], logits: LogitMatrix) throws {
        extendCalls += 1
        extendedRows += requests.count
        try check(requests)
        logits.resize(rows: requests.count)
        for (i, r) in requests.enumerated() {
            let h = try append(r)
            fill(logits.row(i), after: h)
        }
    }

    public func extendReturningAllLogits(_ requests: [SequenceExtension], logits: LogitMatrix) throws {
        allLogitsCalls += 1
        try check(requests)
        logits.resize(rows: requests.reduce(0) { $0 + $1.tokens.count })
        var row = 0
        for r in requests {
            var h = histories[r.sequence.rawValue]!
            for t in r.tokens {
                h.append(t)
                fill(logits.row(row), after: h)
                row += 1
            }
            _ = try append(r)
        }
    }

    private func check(_ requests: [SequenceExtension]) throws {
        var seen = Set<SequenceID>()
        for r in requests {
            guard histories[r.sequence.rawValue] != nil else { throw TrellisError.sequenceUnknown(r.sequence.rawValue) }
            guard !r.tokens.isEmpty else { throw TrellisError.invalidArgument("empty extension of \(r.sequence)") }
            guard seen.insert(r.sequence).inserted else { throw TrellisError.invalidArgument("\(r.sequence) twice in one batch") }
            guard r.tokens.allSatisfy({ $0 >= 0 && Int($0) < vocabularySize }) else {
                throw TrellisError.invalidArgument("token outside the vocabulary of \(vocabularySize)")
            }
            let length = histories[r.sequence.rawValue]!.count + r.tokens.count
            guard length <= contextLength else {
                throw TrellisError.limitExceeded(what: "sequence length", limit: contextLength, got: length)
            }
        }
    }

    private func append(_ r: SequenceExtension) throws -> [TokenID] {
        var h = histories[r.sequence.rawValue]!
        h.append(contentsOf: r.tokens)
        histories[r.sequence.rawValue] = h
        appendedTokens += r.tokens.count
        return h
    }

    private func fill(_ row: UnsafeMutableBufferPointer<Float>, after history: [TokenID]) {
        let h = historyHash(history)
        for t in 0..<vocabularySize { row[t] = logit(historyHash: h, token: TokenID(t)) }
    }

    // MARK: The model as a pure function (for brute-force references)

    /// The logit of `token` after `history`: a value in [-3, 3], or -inf for impossible tokens.
    public func logit(after history: [TokenID], token: TokenID) -> Float {
        logit(historyHash: historyHash(history), token: token)
    }

    /// log p(token | history), computed in Double from the logits.
    public func logProb(of token: TokenID, after history: [TokenID]) -> Double {
        let h = historyHash(history)
        let values = (0..<vocabularySize).map { Double(logit(historyHash: h, token: TokenID($0))) }
        let m = values.max()!
        let z = m + Foundation.log(values.reduce(0) { $0 + Foundation.exp($1 - m) })
        return Double(logit(historyHash: h, token: token)) - z
    }

    /// Σ log p over `tokens` after `prompt`; tokens at `skipping` positions count 0.
    public func logProb(of tokens: [TokenID], after prompt: [TokenID], skipping: Set<Int> = []) -> Double {
        var history = prompt
        var total = 0.0
        for (i, t) in tokens.enumerated() {
            if !skipping.contains(i) { total += logProb(of: t, after: history) }
            history.append(t)
        }
        return total
    }

    private func historyHash(_ history: [TokenID]) -> UInt64 {
        var x: UInt64 = 0xCBF2_9CE4_8422_2325 ^ salt
        for t in history { x = (x ^ UInt64(UInt32(bitPattern: t))) &* 0x100_0000_01B3 }
        return x
    }

    private func logit(historyHash: UInt64, token: TokenID) -> Float {
        if impossibleTokens.contains(token) { return -.infinity }
        var x = (historyHash ^ UInt64(UInt32(bitPattern: token)) ^ 0xABCD) &* 0x100_0000_01B3
        x ^= x >> 29
        x = x &* 0xBF58_476D_1CE4_E5B9
        x ^= x >> 32
        return Float(x % 10_000) / 10_000 * 6 - 3
    }
}

/// A `ToyModel` seen only through `NextTokenModel` (no logits at every position), to test the
/// path where decoders append forced runs one token per pass.
public final class LastRowToyModel: NextTokenModel {
    public let inner: ToyModel
    public init(_ inner: ToyModel) { self.inner = inner }
    public var vocabularySize: Int { inner.vocabularySize }
    public var contextLength: Int { inner.contextLength }
    public func makeSequence() throws -> SequenceID { try inner.makeSequence() }
    public func fork(_ parent: SequenceID) throws -> SequenceID { try inner.fork(parent) }
    public func release(_ sequence: SequenceID) { inner.release(sequence) }
    public func length(of sequence: SequenceID) -> Int { inner.length(of: sequence) }
    public func extend(_ requests: [SequenceExtension], logits: LogitMatrix) throws { try inner.extend(requests, logits: logits) }
}
