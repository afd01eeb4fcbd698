import TrellisCore

/// A deterministic automaton over a model's token ids, stored over token classes: tokens that
/// behave identically in every state share a class, and transitions are a dense
/// `stateCount × classCount` Int32 table (row-major, state-major; -1 = rejected for good).
///
/// A keyphrase constraint over a 49k vocabulary typically has a few hundred to a few thousand
/// classes (most tokens only reset the keyword matcher), so the table stays small where a
/// states × vocabulary table would not. Step: O(1) (`tokenClass` then one table read).
/// Built by `lift` (from a `ByteMatcher`), combined with `and`/`or`/`not`, cleaned with
/// `minimized()`; `distanceToAcceptance()` drives the hard length-budget mask.
public struct TokenDFA: Sendable, Equatable {
    public let vocabularySize: Int
    public let classCount: Int
    /// vocabularySize: class of each token.
    public let tokenClass: [Int32]
    public let stateCount: Int
    /// Start state, or -1 when the language is empty.
    public let start: Int32
    /// stateCount × classCount: next state, or -1.
    public let transitions: [Int32]
    /// stateCount: whether the tokens so far form an accepted text.
    public let accepting: [Bool]

    public init(vocabularySize: Int, classCount: Int, tokenClass: [Int32], stateCount: Int,
                start: Int32, transitions: [Int32], accepting: [Bool]) {
        precondition(tokenClass.count == vocabularySize)
        precondition(transitions.count == stateCount * classCount && accepting.count == stateCount)
        self.vocabularySize = vocabularySize
        self.classCount = classCount
        self.tokenClass = tokenClass
        self.stateCount = stateCount
        self.start = start
        self.transitions = transitions
        self.accepting = accepting
    }

    /// The state after `token` from `state` (-1 when rejected or `state` is -1).
    @inline(__always)
    public func next(_ state: Int32, _ token: TokenID) -> Int32 {
        guard state >= 0, token >= 0, Int(token) < vocabularySize else { return -1 }
        return transitions[Int(state) &* classCount &+ Int(tokenClass[Int(token)])]
    }

    /// The state after a whole sequence from the start (-1 when rejected).
    public func run(_ tokens: some Sequence<TokenID>) -> Int32 {
        var s = start
        for t in tokens {
            s = next(s, t)
            if s < 0 { return -1 }
        }
        return s
    }

    /// Whether the DFA accepts `tokens`.
    public func accepts(_ tokens: some Sequence<TokenID>) -> Bool {
        let s = run(tokens)
        return s >= 0 && accepting[Int(s)]
    }

    /// Bytes held by the frozen arrays.
    public var sizeInBytes: Int {
        tokenClass.count * 4 + transitions.count * 4 + accepting.count
    }

    /// The language of all token sequences (one state, one class).
    public static func universal(vocabularySize: Int) -> TokenDFA {
        TokenDFA(vocabularySize: vocabularySize, classCount: 1,
                 tokenClass: [Int32](repeating: 0, count: vocabularySize), stateCount: 1, start: 0,
                 transitions: [0], accepting: [true])
    }
}
