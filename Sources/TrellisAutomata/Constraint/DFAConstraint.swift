import TrellisCore

/// A token DFA as a decoding constraint with a length budget: a token is allowed only if the
/// DFA survives it and can still reach acceptance within the tokens left (`maxTokens` minus
/// those used, minus this one), using the precomputed `distanceToAcceptance` table.
///
/// State = (DFA state, tokens used): 8 bytes, copied for free when a beam forks.
/// `allowed(in:)` costs O(classes + vocabulary / 64 + vocabulary) and allocates one mask.
public struct DFAConstraint: LogitConstraint, Sendable {
    public struct State: Sendable, Hashable {
        public var dfaState: Int32
        public var stepsUsed: Int32
        public init(dfaState: Int32, stepsUsed: Int32) {
            self.dfaState = dfaState
            self.stepsUsed = stepsUsed
        }
    }

    public let dfa: TokenDFA
    public let maxTokens: Int
    /// stateCount: fewest tokens to acceptance (`Int32.max` if unreachable).
    public let distance: [Int32]

    public init(dfa: TokenDFA, maxTokens: Int) {
        self.dfa = dfa
        self.maxTokens = maxTokens
        self.distance = dfa.distanceToAcceptance()
    }

    public var initialState: State { State(dfaState: dfa.start, stepsUsed: 0) }

    /// Whether moving to `next` leaves acceptance reachable with `remaining` tokens after it.
    @inline(__always)
    public func isViable(_ next: Int32, remainingAfter remaining: Int) -> Bool {
        next >= 0 && Int(distance[Int(next)]) <= remaining
    }

    /// Per class: whether a token of that class is allowed in `state`.
    public func allowedClasses(in state: State) -> [Bool] {
        let remaining = maxTokens - Int(state.stepsUsed) - 1
        guard state.dfaState >= 0, remaining >= 0 else { return [Bool](repeating: false, count: dfa.classCount) }
        let row = Int(state.dfaState) * dfa.classCount
        return (0..<dfa.classCount).map { isViable(dfa.transitions[row + $0], remainingAfter: remaining) }
    }

    public func allowed(in state: State) -> AllowedTokens {
        let classes = allowedClasses(in: state)
        var mask = TokenMask(count: dfa.vocabularySize)
        dfa.tokenClass.withUnsafeBufferPointer { tc in
            for t in 0..<tc.count where classes[Int(tc[t])] { mask.insert(TokenID(t)) }
        }
        return .mask(mask)
    }

    public func advance(_ state: State, by token: TokenID) -> State? {
        let remaining = maxTokens - Int(state.stepsUsed) - 1
        guard remaining >= 0 else { return nil }
        let next = dfa.next(state.dfaState, token)
        guard isViable(next, remainingAfter: remaining) else { return nil }
        return State(dfaState: next, stepsUsed: state.stepsUsed + 1)
    }

    public func isAccepting(_ state: State) -> Bool {
        state.dfaState >= 0 && dfa.accepting[Int(state.dfaState)]
    }
}
