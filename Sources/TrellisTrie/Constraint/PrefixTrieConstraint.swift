import TrellisCore

/// Restricts decoding to the sequences stored in a `PrefixTrie` (GENRE's constrained decoding,
/// De Cao et al. 2021). The state is a trie node: each step is one O(log fan-out) binary search
/// from the hypothesis's own cursor, never a walk from the root. A state accepts where a stored
/// sequence ends; store names with an end token (EOS) so a name that prefixes another can end.
///
/// `allowed(in:)` returns `.only(children)`. `AllowedTokens.only` takes an array, so a node's
/// children are copied per call: cheap for the usual handful, but O(fan-out) for the root and
/// first-word nodes, which hold thousands. The child lists of nodes with at least
/// `sharedListThreshold` children are therefore copied once at init (one O(nodes) scan) and
/// shared (returning one is a retain).
public struct PrefixTrieConstraint: LogitConstraint, Sendable {
    public let trie: PrefixTrie
    /// Fan-out from which a node's child list is precomputed.
    public let sharedListThreshold: Int
    private let sharedLists: [UInt32: [TokenID]]

    public init(trie: PrefixTrie, sharedListThreshold: Int = 64) {
        self.trie = trie
        self.sharedListThreshold = max(sharedListThreshold, 1)
        var lists: [UInt32: [TokenID]] = [:]
        for v in 0..<trie.nodeCount {
            let node = PrefixTrie.Node(index: UInt32(v))
            if trie.childCount(of: node) >= self.sharedListThreshold { lists[node.index] = trie.children(of: node).tokens }
        }
        sharedLists = lists
    }

    /// Number of child lists precomputed, and their tokens (the memory they take is 4 bytes each).
    public var sharedListStatistics: (lists: Int, tokens: Int) {
        (sharedLists.count, sharedLists.values.reduce(0) { $0 + $1.count })
    }

    public var initialState: PrefixTrie.Node { .root }

    public func allowed(in state: PrefixTrie.Node) -> AllowedTokens {
        let children = trie.children(of: state)
        if children.count >= sharedListThreshold, let shared = sharedLists[state.index] { return .only(shared) }
        return .only(children.tokens)
    }

    public func advance(_ state: PrefixTrie.Node, by token: TokenID) -> PrefixTrie.Node? {
        trie.step(state, token: token)
    }

    public func isAccepting(_ state: PrefixTrie.Node) -> Bool { trie.isTerminal(state) }

    /// The payloads of the sequence ending at `state` (empty if none ends there).
    public func payloads(at state: PrefixTrie.Node) -> PrefixTrie.Payloads { trie.payloads(at: state) }
}
