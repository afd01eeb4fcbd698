import TrellisCore

/// A frozen prefix trie over token-id sequences (entity names, each usually ending with an end
/// token such as EOS), every stored sequence carrying one or more `UInt32` payloads (name row or
/// entity ids) at its terminal node. Used as GENRE's decoding constraint (De Cao et al. 2021,
/// "Autoregressive Entity Retrieval"), but with a cursor per hypothesis instead of a walk from
/// the root at every step.
///
/// Layout: nodes are numbered in breadth-first order with each node's children contiguous and
/// sorted by token, so the child along edge `e` is node `e + 1` and no child-id array is needed.
/// Four flat arrays (see `PrefixTrie+Format.swift` for the file header):
///
///     childStart[N + 1]   UInt32  children of node v are edges childStart[v] ..< childStart[v + 1]
///     edgeToken[N - 1]    Int32   token of edge e (the edge into node e + 1), sorted per node
///     payloadStart[N + 1] UInt32  payloads of node v are payload[payloadStart[v] ..< payloadStart[v + 1]]
///     payload[P]          UInt32  sorted, distinct per node
///
/// Memory and file size are `64 + 12·N + 4 + 4·P` bytes: 12 bytes per node plus 4 per payload,
/// at most 16 bytes per stored token id since N ≤ tokens + 1 and P ≤ sequences.
/// Complexity: `children(of:)` O(1); `step(_:token:)` O(log fan-out) (binary search);
/// opening a file is a header check plus one linear validation pass over the mapped arrays.
/// The arrays live either in an owned buffer (just built) or in a read-only memory mapping.
public final class PrefixTrie: @unchecked Sendable {
    /// A cursor into the trie: one node, reached by some prefix. Valid only for the trie that
    /// produced it. Decoders keep one per hypothesis and advance it with `step(_:token:)`.
    public struct Node: Hashable, Comparable, Sendable, CustomStringConvertible {
        /// Breadth-first index of the node (0 is the root).
        public let index: UInt32
        public init(index: UInt32) { self.index = index }
        public static let root = Node(index: 0)
        public static func < (a: Node, b: Node) -> Bool { a.index < b.index }
        public var description: String { "node#\(index)" }
    }

    /// Number of nodes, the root included (1 for an empty trie).
    public let nodeCount: Int
    /// Number of (node, payload) pairs.
    public let payloadCount: Int
    /// Number of distinct stored sequences (terminal nodes).
    public let sequenceCount: Int
    /// Total tokens of the distinct stored sequences (what a plain list of them would hold).
    public let tokenCount: Int
    /// Length of the longest stored sequence.
    public let maxDepth: Int
    /// Where the arrays came from ("<memory>" or a file path), for error messages.
    public let origin: String

    /// Keeps the bytes alive: a `MappedFile` or a `TrieBuffer`.
    private let owner: AnyObject
    let bytes: UnsafeRawBufferPointer
    let childStart: UnsafePointer<UInt32>
    let edgeToken: UnsafePointer<Int32>
    let payloadStart: UnsafePointer<UInt32>
    let payloadValues: UnsafePointer<UInt32>

    /// Wraps validated bytes; `PrefixTrie+Format.swift` checks them before calling this.
    init(owner: AnyObject, bytes: UnsafeRawBufferPointer, header: PrefixTrieHeader, origin: String) {
        self.owner = owner
        self.bytes = bytes
        self.origin = origin
        nodeCount = header.nodeCount
        payloadCount = header.payloadCount
        sequenceCount = header.sequenceCount
        tokenCount = header.tokenCount
        maxDepth = header.maxDepth
        let sections = PrefixTrieHeader.sections(nodeCount: nodeCount, payloadCount: payloadCount)
        let base = bytes.baseAddress!
        childStart = (base + sections.childStart).assumingMemoryBound(to: UInt32.self)
        edgeToken = (base + sections.edgeToken).assumingMemoryBound(to: Int32.self)
        payloadStart = (base + sections.payloadStart).assumingMemoryBound(to: UInt32.self)
        payloadValues = (base + sections.payload).assumingMemoryBound(to: UInt32.self)
    }

    /// The root cursor (the empty prefix).
    public var root: Node { .root }

    /// Bytes of the serialized form, which is also the memory the trie occupies.
    public var sizeInBytes: Int { bytes.count }

    /// Whether no sequence is stored.
    public var isEmpty: Bool { sequenceCount == 0 }

    // MARK: Hot accessors (one beam step each)

    @inline(__always)
    private func edgeRange(_ node: Node) -> Range<Int> {
        let v = Int(node.index)
        precondition(v < nodeCount, "node \(v) is not in this trie of \(nodeCount) nodes")
        return Int(childStart[v]) ..< Int(childStart[v + 1])
    }

    /// Number of tokens that may follow `node`. O(1).
    @inline(__always)
    public func childCount(of node: Node) -> Int { edgeRange(node).count }

    /// The tokens that may follow `node`, ascending. O(1), no allocation.
    @inline(__always)
    public func children(of node: Node) -> Children {
        let r = edgeRange(node)
        return Children(trie: self, start: edgeToken + r.lowerBound, count: r.count, firstEdge: r.lowerBound)
    }

    /// Calls `body` with the sorted child tokens of `node` in place (valid only inside `body`).
    @inline(__always)
    public func withChildren<R>(of node: Node, _ body: (UnsafeBufferPointer<TokenID>) throws -> R) rethrows -> R {
        let r = edgeRange(node)
        return try withExtendedLifetime(self) {
            try body(UnsafeBufferPointer(start: edgeToken + r.lowerBound, count: r.count))
        }
    }

    /// The node after `token` from `node`, or nil when no stored sequence continues that way.
    /// O(log fan-out): a binary search over the node's sorted children.
    @inline(__always)
    public func step(_ node: Node, token: TokenID) -> Node? {
        let r = edgeRange(node)
        var lo = r.lowerBound, hi = r.upperBound
        while lo < hi {
            let mid = (lo &+ hi) >> 1
            if edgeToken[mid] < token { lo = mid &+ 1 } else { hi = mid }
        }
        guard lo < r.upperBound, edgeToken[lo] == token else { return nil }
        return Node(index: UInt32(lo + 1))
    }

    /// Whether a stored sequence ends exactly at `node`.
    @inline(__always)
    public func isTerminal(_ node: Node) -> Bool {
        let v = Int(node.index)
        precondition(v < nodeCount, "node \(v) is not in this trie of \(nodeCount) nodes")
        return payloadStart[v] != payloadStart[v + 1]
    }

    /// The payloads of the sequence ending exactly at `node`, ascending and distinct
    /// (empty when none ends there). Several payloads mean several entities share the name.
    @inline(__always)
    public func payloads(at node: Node) -> Payloads {
        let v = Int(node.index)
        precondition(v < nodeCount, "node \(v) is not in this trie of \(nodeCount) nodes")
        let a = Int(payloadStart[v]), b = Int(payloadStart[v + 1])
        return Payloads(trie: self, start: payloadValues + a, count: b - a)
    }

    // MARK: Views

    /// The sorted child tokens of one node, viewed in place; `node(at:)` gives the child cursor.
    public struct Children: RandomAccessCollection {
        let trie: PrefixTrie
        let start: UnsafePointer<TokenID>
        public let count: Int
        let firstEdge: Int
        public var startIndex: Int { 0 }
        public var endIndex: Int { count }
        @inline(__always)
        public subscript(i: Int) -> TokenID {
            precondition(i >= 0 && i < count, "child index \(i) out of 0..<\(count)")
            return start[i]
        }
        /// The child node along the `i`-th token.
        @inline(__always)
        public func node(at i: Int) -> Node {
            precondition(i >= 0 && i < count, "child index \(i) out of 0..<\(count)")
            return Node(index: UInt32(firstEdge + i + 1))
        }
        /// A copy as an array (what `AllowedTokens.only` takes).
        public var tokens: [TokenID] {
            withExtendedLifetime(trie) { Array(UnsafeBufferPointer(start: start, count: count)) }
        }
    }

    /// The payloads at one node, viewed in place.
    public struct Payloads: RandomAccessCollection {
        let trie: PrefixTrie
        let start: UnsafePointer<UInt32>
        public let count: Int
        public var startIndex: Int { 0 }
        public var endIndex: Int { count }
        @inline(__always)
        public subscript(i: Int) -> UInt32 {
            precondition(i >= 0 && i < count, "payload index \(i) out of 0..<\(count)")
            return start[i]
        }
    }
}
