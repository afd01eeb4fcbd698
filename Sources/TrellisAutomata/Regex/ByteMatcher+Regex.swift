/// Thompson's construction over UTF-8 bytes (a code-point class becomes byte-range paths), then
/// subset construction and Moore minimization: the byte-level DFA that `TokenDFA.lift` turns into
/// a token automaton. Node limits keep hostile patterns from exhausting memory.
extension ByteMatcher {
    /// The minimal byte DFA of `node` (whole-text match). Throws `AutomataError.tooManyStates`
    /// past `nfaLimit` NFA states or `nodeLimit` DFA nodes.
    public static func regex(_ node: RegexNode, nfaLimit: Int = 200_000, nodeLimit: Int = 4096) throws -> ByteMatcher {
        var nfa = ByteNFA(limit: nfaLimit)
        let start = try nfa.newState()
        let accept = try nfa.add(node, from: start)
        return try nfa.determinized(start: start, accept: accept, nodeLimit: nodeLimit)
    }
}

/// A byte NFA with ε-edges, built by Thompson's construction.
struct ByteNFA {
    struct Edge { var low: UInt8; var high: UInt8; var target: Int32 }
    var epsilon: [[Int32]] = []
    var edges: [[Edge]] = []
    let limit: Int

    init(limit: Int) { self.limit = limit }

    mutating func newState() throws -> Int32 {
        guard epsilon.count < limit else { throw AutomataError.tooManyStates(limit: limit) }
        epsilon.append([])
        edges.append([])
        return Int32(epsilon.count - 1)
    }

    /// Adds paths for `node` leaving `entry`; returns the state where they end.
    mutating func add(_ node: RegexNode, from entry: Int32) throws -> Int32 {
        switch node {
        case .empty:
            return entry
        case .characters(let set):
            let exit = try newState()
            for range in set.ranges {
                for sequence in UTF8Ranges.sequences(range) {
                    var state = entry
                    for (i, bytes) in sequence.enumerated() {
                        let target = i == sequence.count - 1 ? exit : try newState()
                        edges[Int(state)].append(Edge(low: bytes.lowerBound, high: bytes.upperBound, target: target))
                        state = target
                    }
                }
            }
            return exit
        case .sequence(let items):
            var state = entry
            for item in items { state = try add(item, from: state) }
            return state
        case .alternation(let branches):
            let exit = try newState()
            for branch in branches {
                let start = try newState()
                epsilon[Int(entry)].append(start)
                let end = try add(branch, from: start)
                epsilon[Int(end)].append(exit)
            }
            return exit
        case .repeated(let inner, let low, let high):
            var state = entry
            for _ in 0..<low { state = try add(inner, from: state) }
            guard let high else {
                let loop = try newState()
                epsilon[Int(state)].append(loop)
                let end = try add(inner, from: loop)
                epsilon[Int(end)].append(loop)
                return loop
            }
            guard high > low else { return state }
            let exit = try newState()
            epsilon[Int(state)].append(exit)
            for _ in low..<high {
                state = try add(inner, from: state)
                epsilon[Int(state)].append(exit)
            }
            return exit
        }
    }

    private func closure(_ seeds: [Int32], mark: inout [Int32], stamp: Int32) -> [Int32] {
        var stack = seeds
        var out: [Int32] = []
        for s in seeds where mark[Int(s)] != stamp { mark[Int(s)] = stamp; out.append(s) }
        stack = out
        while let s = stack.popLast() {
            for t in epsilon[Int(s)] where mark[Int(t)] != stamp {
                mark[Int(t)] = stamp
                out.append(t)
                stack.append(t)
            }
        }
        return out.sorted()
    }

    /// Subset construction, pruning nodes that cannot reach acceptance, then Moore minimization.
    func determinized(start: Int32, accept: Int32, nodeLimit: Int) throws -> ByteMatcher {
        var mark = [Int32](repeating: -1, count: epsilon.count)
        var stamp: Int32 = 0
        var ids: [[Int32]: Int32] = [:]
        var sets: [[Int32]] = []
        var next: [Int32] = []
        let first = closure([start], mark: &mark, stamp: stamp)
        ids[first] = 0
        sets.append(first)
        var k = 0
        var targets = [[Int32]](repeating: [], count: 256)
        while k < sets.count {
            for b in 0..<256 { targets[b].removeAll(keepingCapacity: true) }
            for s in sets[k] {
                for e in edges[Int(s)] {
                    for b in Int(e.low)...Int(e.high) { targets[b].append(e.target) }
                }
            }
            for b in 0..<256 {
                if targets[b].isEmpty { next.append(-1); continue }
                stamp += 1
                let set = closure(targets[b], mark: &mark, stamp: stamp)
                if let id = ids[set] { next.append(id); continue }
                guard sets.count < nodeLimit else { throw AutomataError.tooManyStates(limit: nodeLimit) }
                ids[set] = Int32(sets.count)
                next.append(Int32(sets.count))
                sets.append(set)
            }
            k += 1
        }
        let accepting = sets.map { $0.contains(accept) }
        return Self.minimized(next: next, accepting: accepting)
    }

    /// Drops nodes that cannot reach acceptance (their edges become -1), then merges equivalent
    /// nodes by Moore's partition refinement: O(rounds × nodes × 256).
    static func minimized(next rawNext: [Int32], accepting: [Bool]) -> ByteMatcher {
        let n = accepting.count
        var live = accepting
        var changed = true
        while changed {
            changed = false
            for s in 0..<n where !live[s] {
                for b in 0..<256 {
                    let t = rawNext[s * 256 + b]
                    if t >= 0 && live[Int(t)] { live[s] = true; changed = true; break }
                }
            }
        }
        var next = rawNext
        for i in 0..<next.count where next[i] >= 0 && !live[Int(next[i])] { next[i] = -1 }
        if !live[0] {
            // Nothing matches: one node that accepts nothing and rejects every byte.
            return ByteMatcher(nodeCount: 1, start: 0, next: [Int32](repeating: -1, count: 256),
                               emit: [UInt32](repeating: 0, count: 256), endEmit: [0], endAllowed: [false])
        }
        let (block, blockCount) = MoorePartition.refine(stateCount: n, symbolCount: 256,
                                                        initial: accepting.map { $0 ? 1 : 0 }) { next[$0 * 256 + $1] }
        // Renumber so the start's block is node 0, keeping only blocks of live nodes reachable.
        var order = [Int32](repeating: -1, count: blockCount)
        var representative: [Int] = []
        var queue = [0]
        order[Int(block[0])] = 0
        representative.append(0)
        var k = 0
        while k < queue.count {
            let s = queue[k]
            for b in 0..<256 {
                let t = next[s * 256 + b]
                if t >= 0 && order[Int(block[Int(t)])] < 0 {
                    order[Int(block[Int(t)])] = Int32(representative.count)
                    representative.append(Int(t))
                    queue.append(Int(t))
                }
            }
            k += 1
        }
        let count = representative.count
        var table = [Int32](repeating: -1, count: count * 256)
        for (node, s) in representative.enumerated() {
            for b in 0..<256 {
                let t = next[s * 256 + b]
                if t >= 0 { table[node * 256 + b] = order[Int(block[Int(t)])] }
            }
        }
        return ByteMatcher(nodeCount: count, start: 0, next: table, emit: [UInt32](repeating: 0, count: count * 256),
                           endEmit: [UInt32](repeating: 0, count: count), endAllowed: representative.map { accepting[$0] })
    }
}

/// Code-point ranges as UTF-8 byte-range sequences: each sequence is one byte range per encoded
/// byte, and the sequences together match exactly the UTF-8 encodings of the range (surrogates
/// excluded). Splits at encoded-length boundaries, then wherever a continuation byte would not
/// span its full 0x80...0xBF, so every byte position ranges independently.
enum UTF8Ranges {
    static func sequences(_ range: ClosedRange<UInt32>) -> [[ClosedRange<UInt8>]] {
        var out: [[ClosedRange<UInt8>]] = []
        let bands: [ClosedRange<UInt32>] = [0...0x7F, 0x80...0x7FF, 0x800...0xD7FF, 0xE000...0xFFFF, 0x10000...0x10FFFF]
        for band in bands where band.overlaps(range) {
            split(max(band.lowerBound, range.lowerBound), min(band.upperBound, range.upperBound), into: &out)
        }
        return out
    }

    private static func length(_ c: UInt32) -> Int { c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4 }

    private static func split(_ low: UInt32, _ high: UInt32, into out: inout [[ClosedRange<UInt8>]]) {
        let n = length(low)
        for i in 1..<max(n, 1) {
            let m: UInt32 = (1 << (6 * UInt32(i))) - 1
            if low & ~m != high & ~m {
                if low & m != 0 {
                    split(low, low | m, into: &out)
                    split((low | m) + 1, high, into: &out)
                    return
                }
                if high & m != m {
                    split(low, (high & ~m) - 1, into: &out)
                    split(high & ~m, high, into: &out)
                    return
                }
            }
        }
        let a = encode(low), b = encode(high)
        out.append(zip(a, b).map { $0...$1 })
    }

    static func encode(_ c: UInt32) -> [UInt8] {
        switch length(c) {
        case 1: return [UInt8(c)]
        case 2: return [UInt8(0xC0 | (c >> 6)), UInt8(0x80 | (c & 0x3F))]
        case 3: return [UInt8(0xE0 | (c >> 12)), UInt8(0x80 | ((c >> 6) & 0x3F)), UInt8(0x80 | (c & 0x3F))]
        default:
            return [UInt8(0xF0 | (c >> 18)), UInt8(0x80 | ((c >> 12) & 0x3F)), UInt8(0x80 | ((c >> 6) & 0x3F)), UInt8(0x80 | (c & 0x3F))]
        }
    }
}
