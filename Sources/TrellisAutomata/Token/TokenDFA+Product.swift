extension TokenDFA {
    /// Token classes refining both automata's classes: pairs (left class, right class).
    private static func refineClasses(_ a: TokenDFA, _ b: TokenDFA) -> (tokenClass: [Int32], pairs: [(Int32, Int32)]) {
        var ids: [Int64: Int32] = [:]
        var pairs: [(Int32, Int32)] = []
        var tokenClass = [Int32](repeating: 0, count: a.vocabularySize)
        for t in 0..<a.vocabularySize {
            let ca = a.tokenClass[t], cb = b.tokenClass[t]
            let key = Int64(ca) << 32 | Int64(cb)
            if let id = ids[key] { tokenClass[t] = id } else {
                let id = Int32(pairs.count)
                ids[key] = id
                pairs.append((ca, cb))
                tokenClass[t] = id
            }
        }
        return (tokenClass, pairs)
    }

    /// Product construction over reachable pairs; -1 components stand for the rejecting sink.
    /// O(reachable pairs × refined classes).
    private static func product(_ a: TokenDFA, _ b: TokenDFA, keepSink: Bool,
                                accept: (Bool, Bool) -> Bool) throws -> TokenDFA {
        guard a.vocabularySize == b.vocabularySize else {
            throw AutomataError.vocabularyMismatch(left: a.vocabularySize, right: b.vocabularySize)
        }
        let (tokenClass, pairs) = refineClasses(a, b)
        let classCount = max(pairs.count, 1)
        func key(_ x: Int32, _ y: Int32) -> Int64 { Int64(x) << 32 | Int64(UInt32(bitPattern: y)) }
        let startPair = (a.start, b.start)
        if !keepSink && (a.start < 0 || b.start < 0) || a.start < 0 && b.start < 0 {
            return TokenDFA(vocabularySize: a.vocabularySize, classCount: classCount,
                            tokenClass: tokenClass, stateCount: 0, start: -1, transitions: [],
                            accepting: [])
        }
        var ids: [Int64: Int32] = [key(startPair.0, startPair.1): 0]
        var states: [(Int32, Int32)] = [startPair]
        var transitions: [Int32] = []
        var k = 0
        while k < states.count {
            let (sa, sb) = states[k]
            for (ca, cb) in pairs {
                let na = sa < 0 ? -1 : a.transitions[Int(sa) * a.classCount + Int(ca)]
                let nb = sb < 0 ? -1 : b.transitions[Int(sb) * b.classCount + Int(cb)]
                if keepSink ? (na < 0 && nb < 0) : (na < 0 || nb < 0) {
                    transitions.append(-1)
                    continue
                }
                let kk = key(na, nb)
                if let id = ids[kk] { transitions.append(id) } else {
                    let id = Int32(states.count)
                    guard id < Int32.max else { throw AutomataError.tooManyStates(limit: Int(Int32.max)) }
                    ids[kk] = id
                    states.append((na, nb))
                    transitions.append(id)
                }
            }
            if pairs.isEmpty { transitions.append(-1) }
            k += 1
        }
        let accepting = states.map { (sa, sb) in
            accept(sa >= 0 && a.accepting[Int(sa)], sb >= 0 && b.accepting[Int(sb)])
        }
        return TokenDFA(vocabularySize: a.vocabularySize, classCount: classCount, tokenClass: tokenClass,
                        stateCount: states.count, start: 0, transitions: transitions, accepting: accepting)
    }

    /// Sequences accepted by both (intersection).
    public func and(_ other: TokenDFA) throws -> TokenDFA {
        try TokenDFA.product(self, other, keepSink: false) { $0 && $1 }
    }

    /// Sequences accepted by either (union).
    public func or(_ other: TokenDFA) throws -> TokenDFA {
        try TokenDFA.product(self, other, keepSink: true) { $0 || $1 }
    }

    /// Sequences not accepted (complement): the rejecting sink becomes an accepting state.
    public func not() -> TokenDFA {
        let sink = Int32(stateCount)
        var transitions = self.transitions.map { $0 < 0 ? sink : $0 }
        transitions.append(contentsOf: [Int32](repeating: sink, count: classCount))
        var accepting = self.accepting.map { !$0 }
        accepting.append(true)
        return TokenDFA(vocabularySize: vocabularySize, classCount: classCount, tokenClass: tokenClass,
                        stateCount: stateCount + 1, start: start < 0 ? sink : start,
                        transitions: transitions, accepting: accepting)
    }
}
