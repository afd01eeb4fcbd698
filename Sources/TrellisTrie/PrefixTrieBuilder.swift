import TrellisCore

/// Collects token sequences with payloads, then freezes them into a `PrefixTrie`.
///
/// Build: sort the sequences (O(n log n) comparisons), share prefixes in one pass, then group
/// edges by parent with a counting sort so each node's children are contiguous and sorted.
/// One million names of 3-12 tokens build in a few seconds.
public struct PrefixTrieBuilder {
    private var sequences: [[TokenID]] = []
    private var payloads: [UInt32] = []

    public init() {}

    public var count: Int { sequences.count }

    /// Adds `tokens` (typically a name followed by an end token) with `payload`.
    public mutating func insert(_ tokens: [TokenID], payload: UInt32) {
        sequences.append(tokens)
        payloads.append(payload)
    }

    public func build() throws -> PrefixTrie {
        let order = sequences.indices.sorted { a, b in
            let x = sequences[a], y = sequences[b]
            let n = min(x.count, y.count)
            for i in 0..<n where x[i] != y[i] { return x[i] < y[i] }
            if x.count != y.count { return x.count < y.count }
            return payloads[a] < payloads[b]
        }
        // Pass 1: create nodes in preorder; record (parent, token, child) edges and payloads.
        var edgeParent: [UInt32] = [], edgeToken: [Int32] = [], edgeChild: [UInt32] = []
        var nodePayloads: [(node: UInt32, payload: UInt32)] = []
        var nodeCount: UInt32 = 1
        var path: [UInt32] = [0]         // path[d] = node at depth d of the previous sequence
        var previous: [TokenID] = []
        var lastPayload: (UInt32, UInt32)? = nil
        for idx in order {
            let seq = sequences[idx]
            var common = 0
            while common < seq.count && common < previous.count && seq[common] == previous[common] { common += 1 }
            path.removeSubrange((common + 1)...)
            for d in common..<seq.count {
                guard nodeCount < UInt32.max else { throw TrieError.tooLarge(what: "node count") }
                let child = nodeCount
                nodeCount += 1
                edgeParent.append(path[d])
                edgeToken.append(seq[d])
                edgeChild.append(child)
                path.append(child)
            }
            let terminal = path[seq.count]
            if lastPayload.map({ $0 != (terminal, payloads[idx]) }) ?? true {
                nodePayloads.append((terminal, payloads[idx]))
                lastPayload = (terminal, payloads[idx])
            }
            previous = seq
        }
        let n = Int(nodeCount), e = edgeToken.count, p = nodePayloads.count
        guard 6 + 2 * (n + 1) + 2 * e + p < Int(UInt32.max) else { throw TrieError.tooLarge(what: "buffer") }
        var words = [UInt32](repeating: 0, count: PrefixTrie.headerWords + 2 * (n + 1) + 2 * e + p)
        words[0] = PrefixTrie.magic.littleEndian
        words[1] = PrefixTrie.version.littleEndian
        words[2] = UInt32(n).littleEndian
        words[3] = UInt32(e).littleEndian
        words[4] = UInt32(p).littleEndian
        let cs = PrefixTrie.headerWords, et = cs + n + 1, tg = et + e, ps = tg + e, pv = ps + n + 1
        // Counting sort of edges by parent; stable, so children stay in token order.
        for parent in edgeParent { words[cs + Int(parent) + 1] += 1 }
        for i in 0..<n { words[cs + i + 1] += words[cs + i] }
        var cursor = Array(words[cs..<(cs + n)])
        for i in 0..<e {
            let slot = Int(cursor[Int(edgeParent[i])])
            cursor[Int(edgeParent[i])] += 1
            words[et + slot] = UInt32(bitPattern: edgeToken[i])
            words[tg + slot] = edgeChild[i]
        }
        // Payloads were appended in node preorder, which is node id order.
        for (node, _) in nodePayloads { words[ps + Int(node) + 1] += 1 }
        for i in 0..<n { words[ps + i + 1] += words[ps + i] }
        for (k, entry) in nodePayloads.enumerated() { words[pv + k] = entry.payload }
        let bytes = words.withUnsafeBytes { [UInt8]($0) }
        return try PrefixTrie(serialized: bytes)
    }
}
