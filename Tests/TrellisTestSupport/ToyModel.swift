import TrellisCore

/// A deterministic stand-in for a language model: logits are a hash of the whole token history,
/// so decoders can be checked against brute-force enumeration in milliseconds.
public final class ToyModel: NextTokenModel {
    public let vocabularySize: Int
    public let contextLength: Int
    private var histories: [Int: [TokenID]] = [:]
    private var nextID = 0
    /// Number of `extend` calls and of rows they carried (to check batching).
    public private(set) var extendCalls = 0
    public private(set) var extendedRows = 0
    public var liveSequences: Int { histories.count }

    public init(vocabularySize: Int, contextLength: Int = 4096) {
        self.vocabularySize = vocabularySize
        self.contextLength = contextLength
    }

    public func makeSequence() throws -> SequenceID {
        nextID += 1
        histories[nextID] = []
        return SequenceID(rawValue: nextID)
    }

    public func fork(_ parent: SequenceID) throws -> SequenceID {
        guard let h = histories[parent.rawValue] else { throw TrellisError.sequenceUnknown(parent.rawValue) }
        nextID += 1
        histories[nextID] = h
        return SequenceID(rawValue: nextID)
    }

    public func release(_ sequence: SequenceID) { histories[sequence.rawValue] = nil }

    public func length(of sequence: SequenceID) -> Int { histories[sequence.rawValue]?.count ?? 0 }

    public func extend(_ requests: [SequenceExtension], logits: LogitMatrix) throws {
        extendCalls += 1
        extendedRows += requests.count
        logits.resize(rows: requests.count)
        for (i, r) in requests.enumerated() {
            guard var h = histories[r.sequence.rawValue] else { throw TrellisError.sequenceUnknown(r.sequence.rawValue) }
            guard !r.tokens.isEmpty else { throw TrellisError.invalidArgument("empty extension") }
            h.append(contentsOf: r.tokens)
            histories[r.sequence.rawValue] = h
            let row = logits.row(i)
            for t in 0..<vocabularySize { row[t] = Self.logit(history: h, token: TokenID(t)) }
        }
    }

    /// The logit the model gives `token` after `history`.
    public static func logit(history: [TokenID], token: TokenID) -> Float {
        var x: UInt64 = 0xCBF2_9CE4_8422_2325
        for t in history { x = (x ^ UInt64(UInt32(bitPattern: t))) &* 0x100_0000_01B3 }
        x = (x ^ UInt64(UInt32(bitPattern: token)) ^ 0xABCD) &* 0x100_0000_01B3
        x ^= x >> 29
        x = x &* 0xBF58_476D_1CE4_E5B9
        x ^= x >> 32
        return Float(x % 10_000) / 10_000 * 6 - 3
    }

    /// log p(token | history) under the model.
    public static func logProb(history: [TokenID], token: TokenID, vocabularySize: Int) -> Float {
        let values = (0..<vocabularySize).map { logit(history: history, token: TokenID($0)) }
        let m = values.max()!
        let z = m + Float(log(Double(values.map { expf($0 - m) }.reduce(0, +))))
        return logit(history: history, token: token) - z
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
