import TrellisCore

/// Constrains decoding to n-grams that occur inside some passage of an `FMIndex` (SEAL,
/// Bevilacqua et al. 2022): the state is a backward-search cursor, the allowed tokens are exactly
/// the continuations of the n-gram so far (sorted ascending), and any non-empty n-gram is
/// accepting. With `maxLength`, nothing is allowed once the n-gram has that many tokens.
/// allowed: O(k · code length) for k continuations; advance: O(code length) (Huffman codes,
/// ≈ H0 + 1 bits on average).
public struct FMIndexConstraint: LogitConstraint, Sendable {
    public let index: FMIndex
    public let maxLength: Int

    public init(index: FMIndex, maxLength: Int = .max) {
        self.index = index
        self.maxLength = maxLength
    }

    public var initialState: FMIndexCursor { index.rootCursor }

    public func allowed(in state: FMIndexCursor) -> AllowedTokens {
        guard state.depth < maxLength else { return .only([]) }
        var tokens: [TokenID] = []
        index.forEachContinuation(state) { token, _ in tokens.append(token) }
        return .only(tokens)
    }

    public func advance(_ state: FMIndexCursor, by token: TokenID) -> FMIndexCursor? {
        guard state.depth < maxLength else { return nil }
        return index.extend(state, with: token)
    }

    public func isAccepting(_ state: FMIndexCursor) -> Bool { state.depth > 0 }

    /// Next tokens with their counts (for SEAL scoring: P(n) = count / index.tokenCount).
    public func continuations(in state: FMIndexCursor) -> [FMIndexContinuation] {
        state.depth < maxLength ? index.continuations(state) : []
    }

    /// Occurrences of the n-gram so far (corpus token count at the root).
    public func count(in state: FMIndexCursor) -> Int { index.count(state) }
}
