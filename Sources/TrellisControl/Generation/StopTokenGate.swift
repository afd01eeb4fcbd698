import TrellisCore

/// Wraps a constraint and forbids a fixed set of tokens everywhere (e.g. the stop tokens
/// other than the one the DFA expects at the end, so that generation cannot end outside an
/// accepting state). Masks, advances and biases are the base's, minus the forbidden tokens.
/// Cost per step: one copy of the base mask (V/8 bytes) plus O(forbidden).
public struct StopTokenGate<Base: LogitConstraint>: LogitConstraint {
    public let base: Base
    public let forbidden: [TokenID]
    private let allButForbidden: TokenMask

    public init(_ base: Base, forbidding forbidden: Set<TokenID>, vocabularySize: Int) {
        self.base = base
        self.forbidden = forbidden.sorted()
        var all = TokenMask(count: vocabularySize, allowing: (0..<vocabularySize).map { TokenID($0) })
        for t in forbidden where Int(t) < vocabularySize && t >= 0 { all.remove(t) }
        self.allButForbidden = all
    }

    public var initialState: Base.State { base.initialState }

    public func allowed(in state: Base.State) -> AllowedTokens {
        switch base.allowed(in: state) {
        case .all:
            return .mask(allButForbidden)
        case .only(let tokens):
            return .only(tokens.filter { !isForbidden($0) })
        case .mask(var mask):
            mask.formIntersection(allButForbidden)
            return .mask(mask)
        }
    }

    public func advance(_ state: Base.State, by token: TokenID) -> Base.State? {
        isForbidden(token) ? nil : base.advance(state, by: token)
    }

    public func isAccepting(_ state: Base.State) -> Bool { base.isAccepting(state) }

    public var biasesLogits: Bool { base.biasesLogits }

    public func addBias(in state: Base.State, to logProbs: UnsafeMutableBufferPointer<Float>) {
        base.addBias(in: state, to: logProbs)
        for t in forbidden where Int(t) < logProbs.count { logProbs[Int(t)] = -.infinity }
    }

    private func isForbidden(_ token: TokenID) -> Bool {
        var lo = 0, hi = forbidden.count
        while lo < hi {
            let mid = (lo + hi) >> 1
            if forbidden[mid] < token { lo = mid + 1 } else { hi = mid }
        }
        return lo < forbidden.count && forbidden[lo] == token
    }
}
