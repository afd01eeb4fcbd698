import TrellisCore

extension PrefixTrie {
    /// The node reached by `tokens` from `start`, or nil when the path leaves the trie.
    /// O(length · log fan-out); decoders step a cursor instead.
    public func walk(_ tokens: some Sequence<TokenID>, from start: Node = .root) -> Node? {
        var node = start
        for t in tokens {
            guard let next = step(node, token: t) else { return nil }
            node = next
        }
        return node
    }

    /// Whether `sequence` is stored (ends at a terminal node).
    public func contains(_ sequence: some Sequence<TokenID>) -> Bool {
        walk(sequence).map(isTerminal) ?? false
    }

    /// Every stored sequence with its payloads, depth-first in token order (shorter first).
    /// O(total tokens); for tests, exports and rebuilding small overlays.
    public func forEachSequence(from start: Node = .root, _ body: ([TokenID], Payloads) throws -> Void) rethrows {
        var path: [TokenID] = []
        // Explicit stack of (node, next child position) so deep tries cannot overflow the call stack.
        var stack: [(node: Node, next: Int)] = [(start, 0)]
        if isTerminal(start) { try body(path, payloads(at: start)) }
        while let top = stack.last {
            let children = children(of: top.node)
            if top.next == children.count {
                stack.removeLast()
                if !stack.isEmpty { path.removeLast() }
                continue
            }
            stack[stack.count - 1].next += 1
            let child = children.node(at: top.next)
            path.append(children[top.next])
            if isTerminal(child) { try body(path, payloads(at: child)) }
            stack.append((child, 0))
        }
    }

    /// All stored sequences with their payloads (for tests and small tries).
    public func sequences(from start: Node = .root) -> [(tokens: [TokenID], payloads: [UInt32])] {
        var out: [(tokens: [TokenID], payloads: [UInt32])] = []
        forEachSequence(from: start) { out.append(($0, Array($1))) }
        return out
    }
}
