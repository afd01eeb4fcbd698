import TrellisCore

/// Restricts decoding to the sequences stored in a `PrefixTrie` (GENRE's constrained decoding,
/// De Cao et al. 2021). The state is a trie node: each step is one O(log fan-out) binary search
/// from the hypothesis's own cursor, never a walk from the root. A state accepts where a stored
/// sequence ends; store names with an end token (EOS) so a name that prefixes another can end.
///
/// `allowed(in:)` returns `.only(children)`, which costs one array copy of the node's children
/// per call (`AllowedTokens.only` takes an array); the root's list, the longest, is copied once
/// at init and shared.
public struct PrefixTrieConstraint: LogitConstraint, Sendable {
    public let trie: PrefixTrie
    private let rootChildren: [TokenID]

    public init(trie: PrefixTrie) {
        self.trie = trie
        rootChildren = trie.children(of: .root).tokens
    }

    public var initialState: PrefixTrie.Node { .root }

    public func allowed(in state: PrefixTrie.Node) -> AllowedTokens {
        state == .root ? .only(rootChildren) : .only(trie.children(of: state).tokens)
    }

    public func advance(_ state: PrefixTrie.Node, by token: TokenID) -> PrefixTrie.Node? {
        trie.step(state, token: token)
    }

    public func isAccepting(_ state: PrefixTrie.Node) -> Bool { trie.isTerminal(state) }

    /// The payloads of the sequence ending at `state` (empty if none ends there).
    public func payloads(at state: PrefixTrie.Node) -> PrefixTrie.Payloads { trie.payloads(at: state) }
}
