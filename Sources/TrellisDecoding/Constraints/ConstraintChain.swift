import TrellisCore

/// The conjunction of two constraints: a token is allowed only where both allow it, a state
/// accepts only where both accept, and both biases apply (first, then second). The state pairs
/// the two states, so forking a hypothesis copies both cursors. Chains nest, so any number of
/// constraints combine: `ConstraintChain(a, ConstraintChain(b, c))`.
///
/// Allowed sets combine without touching the vocabulary where possible: `.all` with X is X;
/// two sorted lists merge in O(m + n); a list against a mask filters the list in O(m); two
/// masks intersect word by word in O(V/64).
public struct ConstraintChain<First: LogitConstraint, Second: LogitConstraint>: LogitConstraint {
    public struct State {
        public var first: First.State
        public var second: Second.State
        public init(first: First.State, second: Second.State) {
            self.first = first
            self.second = second
        }
    }

    public let first: First
    public let second: Second

    public init(_ first: First, _ second: Second) {
        self.first = first
        self.second = second
    }

    public var initialState: State { State(first: first.initialState, second: second.initialState) }

    public func allowed(in state: State) -> AllowedTokens {
        Self.intersect(first.allowed(in: state.first), second.allowed(in: state.second))
    }

    public func advance(_ state: State, by token: TokenID) -> State? {
        guard let a = first.advance(state.first, by: token), let b = second.advance(state.second, by: token) else { return nil }
        return State(first: a, second: b)
    }

    public func isAccepting(_ state: State) -> Bool {
        first.isAccepting(state.first) && second.isAccepting(state.second)
    }

    public var biasesLogits: Bool { first.biasesLogits || second.biasesLogits }

    public func addBias(in state: State, to logProbs: UnsafeMutableBufferPointer<Float>) {
        if first.biasesLogits { first.addBias(in: state.first, to: logProbs) }
        if second.biasesLogits { second.addBias(in: state.second, to: logProbs) }
    }

    /// Tokens allowed by both sets.
    public static func intersect(_ a: AllowedTokens, _ b: AllowedTokens) -> AllowedTokens {
        switch (a, b) {
        case (.all, _): return b
        case (_, .all): return a
        case (.only(let x), .only(let y)):
            var out: [TokenID] = []
            out.reserveCapacity(min(x.count, y.count))
            var i = 0, j = 0
            while i < x.count && j < y.count {
                if x[i] < y[j] { i += 1 } else if y[j] < x[i] { j += 1 } else {
                    out.append(x[i]); i += 1; j += 1
                }
            }
            return .only(out)
        case (.only(let x), .mask(let m)), (.mask(let m), .only(let x)):
            return .only(x.filter { m.contains($0) })
        case (.mask(var x), .mask(let y)):
            guard x.count == y.count else {
                // Masks over different vocabularies: keep tokens inside both.
                return .only(x.tokens.filter { y.contains($0) })
            }
            x.formIntersection(y)
            return .mask(x)
        }
    }
}

extension ConstraintChain.State: Sendable where First.State: Sendable, Second.State: Sendable {}
extension ConstraintChain.State: Equatable where First.State: Equatable, Second.State: Equatable {}
extension ConstraintChain.State: Hashable where First.State: Hashable, Second.State: Hashable {}
extension ConstraintChain: Sendable where First: Sendable, Second: Sendable {}
