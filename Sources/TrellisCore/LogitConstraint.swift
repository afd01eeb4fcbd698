/// The tokens a constraint allows next.
public enum AllowedTokens: Sendable, Equatable {
    /// Any token of the vocabulary.
    case all
    /// Exactly these tokens (sorted ascending, no duplicates).
    case only([TokenID])
    /// The tokens whose bit is set.
    case mask(TokenMask)

    /// Whether nothing is allowed (a dead end).
    public var isEmpty: Bool {
        switch self {
        case .all: return false
        case .only(let tokens): return tokens.isEmpty
        case .mask(let mask): return mask.isEmpty
        }
    }

    public func contains(_ token: TokenID) -> Bool {
        switch self {
        case .all: return true
        case .only(let tokens): return Self.sortedContains(tokens, token)
        case .mask(let mask): return mask.contains(token)
        }
    }

    private static func sortedContains(_ tokens: [TokenID], _ token: TokenID) -> Bool {
        var lo = 0, hi = tokens.count
        while lo < hi {
            let mid = (lo + hi) >> 1
            if tokens[mid] < token { lo = mid + 1 } else { hi = mid }
        }
        return lo < tokens.count && tokens[lo] == token
    }
}

/// A rule over token sequences that decoding enforces by masking logits: a cursor-style state
/// per hypothesis, advanced one token at a time, never re-walked from the start.
///
/// Prefix tries (entity names), FM-indexes (corpus n-grams), token DFAs, DFA+HMM guidance and
/// grammars all conform; `ConstraintChain` combines several. States are values, so forking a
/// beam copies its state in O(1)-ish time. Hard masks come from `allowed(in:)`; soft
/// reweighting (such as HMM lookahead) from `addBias(in:to:)`.
public protocol LogitConstraint {
    associatedtype State

    /// The state before any token has been generated.
    var initialState: State { get }

    /// Tokens that may follow in `state`.
    func allowed(in state: State) -> AllowedTokens

    /// The state after `token`, or nil when `token` is not allowed in `state`.
    func advance(_ state: State, by token: TokenID) -> State?

    /// Whether the tokens so far form a complete, acceptable output.
    func isAccepting(_ state: State) -> Bool

    /// Adds log-weights to the (already masked) log-probabilities of one hypothesis.
    /// The default adds nothing.
    func addBias(in state: State, to logProbs: UnsafeMutableBufferPointer<Float>)

    /// Whether `addBias` does anything; decoders skip the full-row work when it does not.
    var biasesLogits: Bool { get }
}

extension LogitConstraint {
    public func addBias(in state: State, to logProbs: UnsafeMutableBufferPointer<Float>) {}
    public var biasesLogits: Bool { false }

    /// Sets every disallowed entry of `logits` to -infinity.
    public func applyMask(in state: State, to logits: UnsafeMutableBufferPointer<Float>) {
        switch allowed(in: state) {
        case .all:
            return
        case .only(let tokens):
            // Save the allowed values, wipe the row, restore: O(V) writes, no allocation of V.
            var kept: [Float] = []
            kept.reserveCapacity(tokens.count)
            for t in tokens where Int(t) < logits.count { kept.append(logits[Int(t)]) }
            logits.update(repeating: -.infinity)
            var k = 0
            for t in tokens where Int(t) < logits.count {
                logits[Int(t)] = kept[k]
                k += 1
            }
        case .mask(let mask):
            for i in 0..<logits.count where !mask.contains(TokenID(i)) { logits[i] = -.infinity }
        }
    }
}

/// The constraint that allows everything; unconstrained decoding through the same code path.
public struct Unconstrained: LogitConstraint {
    public init() {}
    public var initialState: Void { () }
    public func allowed(in state: Void) -> AllowedTokens { .all }
    public func advance(_ state: Void, by token: TokenID) -> Void? { () }
    public func isAccepting(_ state: Void) -> Bool { true }
}
