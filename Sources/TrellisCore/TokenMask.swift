/// A fixed-size bit set over a vocabulary: bit t set means token t is allowed.
public struct TokenMask: Sendable, Equatable {
    public let count: Int
    public private(set) var words: [UInt64]

    /// An empty mask (nothing allowed) over `count` tokens.
    public init(count: Int) {
        self.count = count
        self.words = Array(repeating: 0, count: (count + 63) / 64)
    }

    /// A mask with exactly `tokens` allowed.
    public init(count: Int, allowing tokens: some Sequence<TokenID>) {
        self.init(count: count)
        for t in tokens { insert(t) }
    }

    @inline(__always)
    public func contains(_ token: TokenID) -> Bool {
        let i = Int(token)
        guard i >= 0 && i < count else { return false }
        return words[i >> 6] & (1 << UInt64(i & 63)) != 0
    }

    @inline(__always)
    public mutating func insert(_ token: TokenID) {
        let i = Int(token)
        precondition(i >= 0 && i < count, "token \(token) outside mask of \(count)")
        words[i >> 6] |= 1 << UInt64(i & 63)
    }

    public mutating func remove(_ token: TokenID) {
        let i = Int(token)
        guard i >= 0 && i < count else { return }
        words[i >> 6] &= ~(1 << UInt64(i & 63))
    }

    public mutating func formIntersection(_ other: TokenMask) {
        precondition(other.count == count)
        for i in words.indices { words[i] &= other.words[i] }
    }

    public mutating func formUnion(_ other: TokenMask) {
        precondition(other.count == count)
        for i in words.indices { words[i] |= other.words[i] }
    }

    public var isEmpty: Bool { words.allSatisfy { $0 == 0 } }
    public var population: Int { words.reduce(0) { $0 + $1.nonzeroBitCount } }

    /// The allowed tokens in ascending order.
    public var tokens: [TokenID] {
        var out: [TokenID] = []
        for (w, word) in words.enumerated() where word != 0 {
            var bits = word
            while bits != 0 {
                let b = bits.trailingZeroBitCount
                out.append(TokenID(w * 64 + b))
                bits &= bits - 1
            }
        }
        return out
    }
}
