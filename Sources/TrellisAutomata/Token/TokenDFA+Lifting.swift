import TrellisCore

/// How the bits a `ByteMatcher` emits decide acceptance of a lifted token DFA.
public enum EmittedBitsPolicy: Sendable, Equatable {
    /// Accept when all of these bits have been emitted (keyphrases: every concept seen).
    case requireAll(UInt32)
    /// Reject as soon as any bit is emitted (banned words); accept when none is pending.
    case forbidAny
    /// Bits do not matter; acceptance is the matcher's `endAllowed`.
    case ignore

    @inline(__always) func isDead(_ bits: UInt32) -> Bool {
        if case .forbidAny = self { return bits != 0 }
        return false
    }

    @inline(__always) func accepts(_ bits: UInt32) -> Bool {
        switch self {
        case .requireAll(let all): return bits & all == all
        case .forbidAny: return bits == 0
        case .ignore: return true
        }
    }
}

extension TokenDFA {
    /// Lifts a byte matcher to tokens whose bytes are `vocabulary[t]` (empty for control tokens,
    /// which then leave every state unchanged).
    ///
    /// 1. Token classes: each token is run from every matcher node (O(nodes × total token
    ///    bytes)); a 64-bit hash of its column (node reached, bits emitted) groups tokens, and
    ///    each token is then checked against its class representative so a hash collision can
    ///    never merge different tokens (a collision splits the class instead).
    /// 2. States: breadth-first search over (node, bits so far) pairs reachable from
    ///    (start, 0), one transition per class. Only reachable pairs are materialized.
    public static func lift(_ matcher: ByteMatcher, vocabulary: [[UInt8]], policy: EmittedBitsPolicy,
                            stateLimit: Int = 1 << 22) throws -> TokenDFA {
        let vocabularySize = vocabulary.count
        // Flatten token bytes: token t is flat[offsets[t] ..< offsets[t+1]].
        var flat: [UInt8] = []
        var offsets = [Int](repeating: 0, count: vocabularySize + 1)
        for (t, bytes) in vocabulary.enumerated() {
            flat.append(contentsOf: bytes)
            offsets[t + 1] = flat.count
        }
        let nodeCount = matcher.nodeCount

        @inline(__always) func mix(_ h: UInt64, _ v: UInt64) -> UInt64 {
            var x = (h ^ v) &* 0x9E37_79B9_7F4A_7C15
            x ^= x >> 29
            return x &* 0xBF58_476D_1CE4_E5B9
        }

        var hashes = [UInt64](repeating: 0x1234_5678, count: vocabularySize)
        flat.withUnsafeBufferPointer { fp in
            for n in 0..<nodeCount {
                for t in 0..<vocabularySize {
                    let bytes = UnsafeBufferPointer(rebasing: fp[offsets[t]..<offsets[t + 1]])
                    let (node, bits) = matcher.run(bytes, from: Int32(n))
                    hashes[t] = mix(hashes[t], UInt64(UInt32(bitPattern: node)) | (UInt64(bits) << 32))
                }
            }
        }

        // Group by hash, then verify every member against its representative.
        var classOfHash: [UInt64: Int32] = [:]
        var representative: [Int] = []
        var tokenClass = [Int32](repeating: 0, count: vocabularySize)
        for t in 0..<vocabularySize {
            if let c = classOfHash[hashes[t]] {
                tokenClass[t] = c
            } else {
                let c = Int32(representative.count)
                classOfHash[hashes[t]] = c
                representative.append(t)
                tokenClass[t] = c
            }
        }
        flat.withUnsafeBufferPointer { fp in
            func column(_ t: Int) -> [UInt64] {
                let bytes = UnsafeBufferPointer(rebasing: fp[offsets[t]..<offsets[t + 1]])
                return (0..<nodeCount).map { n in
                    let (node, bits) = matcher.run(bytes, from: Int32(n))
                    return UInt64(UInt32(bitPattern: node)) | (UInt64(bits) << 32)
                }
            }
            var repColumns: [Int32: [UInt64]] = [:]
            var splits: [[UInt64]: Int32] = [:]
            for t in 0..<vocabularySize {
                let c = tokenClass[t]
                let rep = representative[Int(c)]
                if rep == t { continue }
                // Only tokens sharing a class with another token are checked.
                if repColumns[c] == nil { repColumns[c] = column(rep) }
                let mine = column(t)
                if mine != repColumns[c]! {
                    if let s = splits[mine] { tokenClass[t] = s } else {
                        let s = Int32(representative.count)
                        representative.append(t)
                        splits[mine] = s
                        tokenClass[t] = s
                    }
                }
            }
        }
        let classCount = representative.count

        // Class columns: classNode[c * nodeCount + n], classBits likewise.
        var classNode = [Int32](repeating: -1, count: classCount * nodeCount)
        var classBits = [UInt32](repeating: 0, count: classCount * nodeCount)
        flat.withUnsafeBufferPointer { fp in
            for c in 0..<classCount {
                let t = representative[c]
                let bytes = UnsafeBufferPointer(rebasing: fp[offsets[t]..<offsets[t + 1]])
                for n in 0..<nodeCount {
                    let (node, bits) = matcher.run(bytes, from: Int32(n))
                    classNode[c * nodeCount + n] = node
                    classBits[c * nodeCount + n] = bits
                }
            }
        }

        // BFS over (node, bits).
        var ids: [UInt64: Int32] = [:]
        var stateNode: [Int32] = []
        var stateBits: [UInt32] = []
        var transitions: [Int32] = []
        func key(_ n: Int32, _ b: UInt32) -> UInt64 { UInt64(UInt32(bitPattern: n)) | (UInt64(b) << 32) }
        ids[key(matcher.start, 0)] = 0
        stateNode.append(matcher.start)
        stateBits.append(0)
        var k = 0
        while k < stateNode.count {
            let n = Int(stateNode[k]), bits = stateBits[k]
            for c in 0..<classCount {
                let node = classNode[c * nodeCount + n]
                let newBits = bits | classBits[c * nodeCount + n]
                if node < 0 || policy.isDead(newBits) {
                    transitions.append(-1)
                    continue
                }
                let kk = key(node, newBits)
                if let id = ids[kk] {
                    transitions.append(id)
                } else {
                    guard stateNode.count < stateLimit else { throw AutomataError.tooManyStates(limit: stateLimit) }
                    let id = Int32(stateNode.count)
                    ids[kk] = id
                    stateNode.append(node)
                    stateBits.append(newBits)
                    transitions.append(id)
                }
            }
            k += 1
        }
        let accepting = (0..<stateNode.count).map { s -> Bool in
            let n = Int(stateNode[s])
            return matcher.endAllowed[n] && policy.accepts(stateBits[s] | matcher.endEmit[n])
        }
        return TokenDFA(vocabularySize: vocabularySize, classCount: classCount, tokenClass: tokenClass,
                        stateCount: stateNode.count, start: 0, transitions: transitions,
                        accepting: accepting)
    }
}
