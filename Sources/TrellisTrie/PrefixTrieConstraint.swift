import TrellisCore

/// Restricts decoding to the sequences stored in a `PrefixTrie` (GENRE's constrained decoding).
/// The state is a node id: one O(log fan-out) step per token, no walk from the root.
public struct PrefixTrieConstraint: LogitConstraint {
    public let trie: PrefixTrie
    public init(trie: PrefixTrie) { self.trie = trie }

    public var initialState: PrefixTrie.Node { PrefixTrie.root }

    public func allowed(in state: PrefixTrie.Node) -> AllowedTokens {
        .only(Array(trie.children(of: state)))
    }

    public func advance(_ state: PrefixTrie.Node, by token: TokenID) -> PrefixTrie.Node? {
        trie.child(of: state, token: token)
    }

    public func isAccepting(_ state: PrefixTrie.Node) -> Bool { trie.isTerminal(state) }
}

/// The union of several tries as one constraint: a large frozen trie plus a small overlay of
/// names added since it was built, so new entities link at once without a rebuild.
/// The state holds one node per trie (`UInt32.max` where that trie has been left).
public struct TrieUnionConstraint: LogitConstraint {
    public let tries: [PrefixTrie]
    public static let absent = UInt32.max

    public init(tries: [PrefixTrie]) { self.tries = tries }

    public var initialState: [UInt32] { Array(repeating: PrefixTrie.root, count: tries.count) }

    public func allowed(in state: [UInt32]) -> AllowedTokens {
        var merged: [TokenID] = []
        var parts = 0
        for (i, node) in state.enumerated() where node != Self.absent {
            merged.append(contentsOf: tries[i].children(of: node))
            parts += 1
        }
        if parts > 1 {
            merged.sort()
            var unique: [TokenID] = []
            unique.reserveCapacity(merged.count)
            for t in merged where unique.last != t { unique.append(t) }
            merged = unique
        }
        return .only(merged)
    }

    public func advance(_ state: [UInt32], by token: TokenID) -> [UInt32]? {
        var next = state
        var any = false
        for (i, node) in state.enumerated() {
            if node != Self.absent, let c = tries[i].child(of: node, token: token) {
                next[i] = c
                any = true
            } else {
                next[i] = Self.absent
            }
        }
        return any ? next : nil
    }

    public func isAccepting(_ state: [UInt32]) -> Bool {
        state.enumerated().contains { $0.element != Self.absent && tries[$0.offset].isTerminal($0.element) }
    }

    /// Payloads of every trie whose sequence ends here.
    public func payloads(at state: [UInt32]) -> [UInt32] {
        var out: [UInt32] = []
        for (i, node) in state.enumerated() where node != Self.absent { out.append(contentsOf: tries[i].payloads(at: node)) }
        return out
    }
}
