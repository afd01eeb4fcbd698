import TrellisCore

/// Collects token sequences with payloads in flat arrays, then freezes them into a `PrefixTrie`.
///
/// Freezing builds the breadth-first layout level by level, in the manner of an MSD radix
/// sort: each node owns the contiguous range of sequences that share its prefix; the range is
/// sorted by one 64-bit key (the token at the node's depth, sequences ending here first, by
/// payload), and each run of equal tokens becomes the next child, whose range is queued for
/// the next level. O(T + Σ r log r) for T input tokens and per-node range sizes r; one million
/// names of 3-12 tokens freeze in about a second. Duplicate (sequence, payload) pairs collapse.
/// Memory while freezing: the input plus 8 bytes per sequence plus the output arrays.
public struct PrefixTrieBuilder: Sendable {
    /// All sequences' tokens back to back; sequence i is tokens[starts[i] ..< starts[i + 1]].
    private var tokens: [TokenID] = []
    private var starts: [Int] = [0]
    private var payloads: [UInt32] = []

    public init() {}

    /// A builder holding every sequence of `trie` (to add names to a small overlay and refreeze).
    public init(contentsOf trie: PrefixTrie) {
        trie.forEachSequence { sequence, payloads in
            for p in payloads { insert(sequence, payload: p) }
        }
    }

    /// Number of sequences inserted (duplicates included).
    public var count: Int { payloads.count }
    /// Number of tokens inserted.
    public var tokenCount: Int { tokens.count }

    public mutating func reserveCapacity(sequences: Int, tokens tokenCount: Int) {
        tokens.reserveCapacity(tokenCount)
        starts.reserveCapacity(sequences + 1)
        payloads.reserveCapacity(sequences)
    }

    /// Adds `sequence` (typically a name's tokens followed by an end token) with `payload`.
    /// O(length). Negative tokens are reported by `freeze()`.
    public mutating func insert(_ sequence: some Sequence<TokenID>, payload: UInt32) {
        tokens.append(contentsOf: sequence)
        starts.append(tokens.count)
        payloads.append(payload)
    }

    /// The frozen trie. Throws `TrieError.invalidToken` for a negative token and
    /// `TrieError.tooLarge` past the 32-bit layout (2^31 sequences, 2^32 nodes or payloads).
    public func freeze() throws -> PrefixTrie {
        let n = payloads.count
        guard n < Int(Int32.max) else { throw TrieError.tooLarge(what: "sequence count", limit: Int(Int32.max) - 1, got: n) }
        guard tokens.count < Int(UInt32.max) - 1 else {
            throw TrieError.tooLarge(what: "token count", limit: Int(UInt32.max) - 2, got: tokens.count)
        }
        for i in 0..<n {
            for j in starts[i]..<starts[i + 1] where tokens[j] < 0 {
                throw TrieError.invalidToken(sequence: i, position: j - starts[i], token: tokens[j])
            }
        }
        var arrays = FrozenArrays()
        arrays.reserve(nodes: tokens.count + 1)
        tokens.withUnsafeBufferPointer { tokens in
            starts.withUnsafeBufferPointer { starts in
                payloads.withUnsafeBufferPointer { payloads in
                    Self.layOut(tokens: tokens, starts: starts, payloads: payloads, into: &arrays)
                }
            }
        }
        return arrays.makeTrie()
    }

    /// Breadth-first construction (see the type's comment). `order` is permuted so that every
    /// node's sequences are contiguous; `level`/`nextLevel` hold the ranges of the nodes of the
    /// current and next depth, in node-id order.
    private static func layOut(tokens: UnsafeBufferPointer<TokenID>, starts: UnsafeBufferPointer<Int>,
                               payloads: UnsafeBufferPointer<UInt32>, into out: inout FrozenArrays) {
        let n = payloads.count
        var order = [UInt32](unsafeUninitializedCapacity: n) { buf, initialized in
            for i in 0..<n { buf[i] = UInt32(i) }
            initialized = n
        }
        var keys = [UInt64](repeating: 0, count: max(n, 1))
        var level: [(lo: Int, hi: Int)] = [(0, n)]
        var nextLevel: [(lo: Int, hi: Int)] = []
        var depth = 0
        // Key: bits 63..31 the primary (payload for a sequence ending at this depth, else
        // 2^32 + token, so endings come first), bits 30..0 the sequence index (n < 2^31).
        let indexMask: UInt64 = (1 << 31) - 1
        while !level.isEmpty {
            for (lo, hi) in level {
                out.childStart.append(UInt32(out.edgeToken.count))
                out.payloadStart.append(UInt32(out.payload.count))
                let m = hi - lo
                keys.withUnsafeMutableBufferPointer { keys in
                    order.withUnsafeMutableBufferPointer { order in
                        for j in 0..<m {
                            let s = Int(order[lo + j])
                            let start = starts[s], length = starts[s + 1] - start
                            let primary = length == depth
                                ? UInt64(payloads[s])
                                : (1 << 32) | UInt64(UInt32(bitPattern: tokens[start + depth]))
                            keys[j] = primary << 31 | UInt64(s)
                        }
                        if m > 1 {
                            var range = UnsafeMutableBufferPointer(rebasing: keys[0..<m])
                            range.sort()
                        }
                        for j in 0..<m { order[lo + j] = UInt32(keys[j] & indexMask) }
                        // Endings: distinct payloads, already ascending.
                        var j = 0
                        var terminal = false
                        while j < m && keys[j] >> 31 < (1 << 32) {
                            let p = UInt32(truncatingIfNeeded: keys[j] >> 31)
                            if !terminal || out.payload.last != p { out.payload.append(p) }
                            terminal = true
                            j += 1
                        }
                        if terminal {
                            out.sequenceCount += 1
                            out.tokenCount += depth
                            out.maxDepth = max(out.maxDepth, depth)
                        }
                        // Continuations: one child per run of equal tokens.
                        while j < m {
                            let token = keys[j] >> 31
                            var k = j + 1
                            while k < m && keys[k] >> 31 == token { k += 1 }
                            out.edgeToken.append(Int32(truncatingIfNeeded: token & 0xFFFF_FFFF))
                            nextLevel.append((lo + j, lo + k))
                            j = k
                        }
                    }
                }
            }
            swap(&level, &nextLevel)
            nextLevel.removeAll(keepingCapacity: true)
            depth += 1
        }
        out.childStart.append(UInt32(out.edgeToken.count))
        out.payloadStart.append(UInt32(out.payload.count))
    }
}

/// The four arrays of a trie under construction, before they are copied behind a header.
struct FrozenArrays {
    var childStart: [UInt32] = []
    var edgeToken: [Int32] = []
    var payloadStart: [UInt32] = []
    var payload: [UInt32] = []
    var sequenceCount = 0
    var tokenCount = 0
    var maxDepth = 0

    mutating func reserve(nodes: Int) {
        childStart.reserveCapacity(nodes + 1)
        edgeToken.reserveCapacity(nodes)
        payloadStart.reserveCapacity(nodes + 1)
    }

    /// Copies the arrays behind a header with their checksum.
    func makeTrie() -> PrefixTrie {
        let nodeCount = childStart.count - 1
        let sections = PrefixTrieHeader.sections(nodeCount: nodeCount, payloadCount: payload.count)
        let buffer = TrieBuffer(count: sections.end)
        func copy<T>(_ array: [T], to offset: Int) {
            array.withUnsafeBytes { src in
                if let base = src.baseAddress { (buffer.pointer + offset).copyMemory(from: base, byteCount: src.count) }
            }
        }
        copy(childStart, to: sections.childStart)
        copy(edgeToken, to: sections.edgeToken)
        copy(payloadStart, to: sections.payloadStart)
        copy(payload, to: sections.payload)
        var header = PrefixTrieHeader(nodeCount: nodeCount, payloadCount: payload.count, sequenceCount: sequenceCount,
                                      tokenCount: tokenCount, maxDepth: maxDepth, checksum: 0)
        header.write(to: buffer.pointer)
        header.checksum = PrefixTrie.checksum(of: buffer.bytes)
        header.write(to: buffer.pointer)
        return PrefixTrie(owner: buffer, bytes: buffer.bytes, header: header, origin: "<memory>")
    }
}

extension PrefixTrie {
    /// A trie of `entries` (sequence, payload), e.g. the candidate names of one request.
    public static func build(_ entries: [(tokens: [TokenID], payload: UInt32)]) throws -> PrefixTrie {
        var builder = PrefixTrieBuilder()
        for entry in entries { builder.insert(entry.tokens, payload: entry.payload) }
        return try builder.freeze()
    }
}
