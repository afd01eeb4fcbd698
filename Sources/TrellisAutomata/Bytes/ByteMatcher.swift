/// A deterministic byte-level Mealy machine: each transition moves to a node and emits a set of
/// bits (a `UInt32`), and each node has bits it emits when the text ends there.
///
/// Token automata are lifted from it (`TokenDFA.lift`): a token DFA state is a pair (node,
/// OR of the bits emitted so far), so that a keyphrase constraint over k concepts needs only the
/// matcher's nodes, not nodes × 2^k, while computing token classes. Layout: `next` and `emit`
/// are `nodeCount × 256` row-major (node-major); `next == -1` means the text is rejected for good.
public struct ByteMatcher: Sendable {
    public let nodeCount: Int
    public let start: Int32
    /// nodeCount × 256: node reached after a byte, or -1.
    public let next: [Int32]
    /// nodeCount × 256: bits emitted by the transition.
    public let emit: [UInt32]
    /// nodeCount: bits emitted if the text ends in this node (pending keyword matches).
    public let endEmit: [UInt32]
    /// nodeCount: whether the text may end in this node at all (e.g. word count reached).
    public let endAllowed: [Bool]

    public init(nodeCount: Int, start: Int32, next: [Int32], emit: [UInt32], endEmit: [UInt32],
                endAllowed: [Bool]) {
        precondition(next.count == nodeCount * 256 && emit.count == nodeCount * 256)
        precondition(endEmit.count == nodeCount && endAllowed.count == nodeCount)
        self.nodeCount = nodeCount
        self.start = start
        self.next = next
        self.emit = emit
        self.endEmit = endEmit
        self.endAllowed = endAllowed
    }

    /// Runs `bytes` from `node`: the node reached (or -1) and the bits emitted on the way.
    @inline(__always)
    public func run(_ bytes: UnsafeBufferPointer<UInt8>, from node: Int32) -> (node: Int32, bits: UInt32) {
        var n = node
        var bits: UInt32 = 0
        for b in bytes {
            let i = Int(n) &* 256 &+ Int(b)
            bits |= emit[i]
            n = next[i]
            if n < 0 { return (-1, bits) }
        }
        return (n, bits)
    }
}
