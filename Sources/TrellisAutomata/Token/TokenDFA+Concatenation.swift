import TrellisCore

extension TokenDFA {
    /// Sequences that split into a part accepted by `self` followed by a part accepted by
    /// `next` (concatenation, "A then B"), both over the same vocabulary.
    ///
    /// Subset construction (Rabin & Scott 1959) over pairs (state of `self`, set of states of
    /// `next`): whenever `self` is in an accepting state, `next` may start, so its start joins
    /// the set. `self` is minimized first so that its dead branches do not seed useless
    /// `next` copies. Token classes refine both automata's classes. Worst case exponential in
    /// `next`'s states (bounded by `stateLimit`); ordered keyword parts stay small because each
    /// part's own states form a chain of keyword progress. O(reachable subsets × classes × |set|).
    public func then(_ next: TokenDFA, stateLimit: Int = 1 << 20) throws -> TokenDFA {
        guard vocabularySize == next.vocabularySize else {
            throw AutomataError.vocabularyMismatch(left: vocabularySize, right: next.vocabularySize)
        }
        let first = minimized()
        let second = next.minimized()
        // Refined classes: pairs (class in first, class in second).
        var classIDs: [Int64: Int32] = [:]
        var pairs: [(Int32, Int32)] = []
        var tokenClass = [Int32](repeating: 0, count: vocabularySize)
        for t in 0..<vocabularySize {
            let key = Int64(first.tokenClass[t]) << 32 | Int64(second.tokenClass[t])
            if let id = classIDs[key] { tokenClass[t] = id } else {
                let id = Int32(pairs.count)
                classIDs[key] = id
                pairs.append((first.tokenClass[t], second.tokenClass[t]))
                tokenClass[t] = id
            }
        }
        let classCount = pairs.count
        let empty = TokenDFA(vocabularySize: vocabularySize, classCount: 1,
                             tokenClass: [Int32](repeating: 0, count: vocabularySize), stateCount: 0,
                             start: -1, transitions: [], accepting: [])
        guard first.start >= 0, second.start >= 0 else { return empty }

        /// A subset state: the first automaton's state (-1 once it is dead) and the sorted,
        /// duplicate-free states of the second automaton that are live.
        struct Subset: Hashable { var head: Int32; var tails: [Int32] }
        func closed(_ head: Int32, _ tails: [Int32]) -> Subset {
            var tails = tails
            if head >= 0 && first.accepting[Int(head)] { tails.append(second.start) }
            tails.sort()
            var unique: [Int32] = []
            unique.reserveCapacity(tails.count)
            for s in tails where unique.last != s { unique.append(s) }
            return Subset(head: head, tails: unique)
        }
        let startSubset = closed(first.start, [])
        var ids: [Subset: Int32] = [startSubset: 0]
        var subsets: [Subset] = [startSubset]
        var transitions: [Int32] = []
        var scratch: [Int32] = []
        var k = 0
        while k < subsets.count {
            let current = subsets[k]
            for (ca, cb) in pairs {
                let head = current.head < 0 ? -1 : first.transitions[Int(current.head) * first.classCount + Int(ca)]
                scratch.removeAll(keepingCapacity: true)
                for s in current.tails {
                    let n = second.transitions[Int(s) * second.classCount + Int(cb)]
                    if n >= 0 { scratch.append(n) }
                }
                if head < 0 && scratch.isEmpty {
                    transitions.append(-1)
                    continue
                }
                let target = closed(head, scratch)
                if let id = ids[target] { transitions.append(id) } else {
                    guard subsets.count < stateLimit else { throw AutomataError.tooManyStates(limit: stateLimit) }
                    let id = Int32(subsets.count)
                    ids[target] = id
                    subsets.append(target)
                    transitions.append(id)
                }
            }
            k += 1
        }
        let accepting = subsets.map { subset in subset.tails.contains { second.accepting[Int($0)] } }
        return TokenDFA(vocabularySize: vocabularySize, classCount: classCount, tokenClass: tokenClass,
                        stateCount: subsets.count, start: 0, transitions: transitions, accepting: accepting)
    }

    /// The concatenation of `parts` in order (the empty list is the language of the empty
    /// sequence alone), minimized after every step.
    public static func sequence(_ parts: [TokenDFA], vocabularySize: Int) throws -> TokenDFA {
        guard var result = parts.first else { return emptySequence(vocabularySize: vocabularySize) }
        for part in parts.dropFirst() { result = try result.then(part).minimized() }
        return result.minimized()
    }

    /// The language holding only the empty sequence.
    public static func emptySequence(vocabularySize: Int) -> TokenDFA {
        TokenDFA(vocabularySize: vocabularySize, classCount: 1,
                 tokenClass: [Int32](repeating: 0, count: vocabularySize), stateCount: 1, start: 0,
                 transitions: [-1], accepting: [true])
    }
}
