import TrellisCore

/// The union of a large frozen trie and a small one holding the names added since it was
/// built, so a new entity links at once without rebuilding (or even rewriting) the large trie.
///
/// A cursor holds one node per trie (or "left") and steps both; children are the sorted merge of
/// both tries' children, payloads the union. Adding names refreezes only the small trie:
/// O(overlay tokens) per `adding` call. Merge the overlay into a rebuilt base when it grows large.
public struct PrefixTrieOverlay: Sendable {
    public let base: PrefixTrie
    public let added: PrefixTrie

    public init(base: PrefixTrie, added: PrefixTrie) {
        self.base = base
        self.added = added
    }

    /// An overlay with nothing added yet.
    public init(base: PrefixTrie) throws {
        self.init(base: base, added: try PrefixTrieBuilder().freeze())
    }

    /// A new overlay whose small trie also holds `entries`. O(overlay + entries).
    public func adding(_ entries: [(tokens: [TokenID], payload: UInt32)]) throws -> PrefixTrieOverlay {
        var builder = PrefixTrieBuilder(contentsOf: added)
        for entry in entries { builder.insert(entry.tokens, payload: entry.payload) }
        return PrefixTrieOverlay(base: base, added: try builder.freeze())
    }

    /// A position in both tries at once; `UInt32.max` marks a trie the prefix has left.
    public struct Cursor: Hashable, Sendable {
        static let absent = UInt32.max
        let baseIndex: UInt32
        let addedIndex: UInt32
        public var baseNode: PrefixTrie.Node? { baseIndex == Self.absent ? nil : PrefixTrie.Node(index: baseIndex) }
        public var addedNode: PrefixTrie.Node? { addedIndex == Self.absent ? nil : PrefixTrie.Node(index: addedIndex) }
        init(base: PrefixTrie.Node?, added: PrefixTrie.Node?) {
            baseIndex = base?.index ?? Self.absent
            addedIndex = added?.index ?? Self.absent
        }
    }

    public var root: Cursor { Cursor(base: .root, added: .root) }

    /// Sorted, distinct tokens that continue some name of either trie.
    public func children(of cursor: Cursor) -> [TokenID] {
        switch (cursor.baseNode, cursor.addedNode) {
        case (nil, nil): return []
        case (let b?, nil): return base.children(of: b).tokens
        case (nil, let a?): return added.children(of: a).tokens
        case (let b?, let a?):
            let x = base.children(of: b), y = added.children(of: a)
            var merged: [TokenID] = []
            merged.reserveCapacity(x.count + y.count)
            var i = 0, j = 0
            while i < x.count || j < y.count {
                if j == y.count || (i < x.count && x[i] < y[j]) {
                    merged.append(x[i]); i += 1
                } else if i == x.count || y[j] < x[i] {
                    merged.append(y[j]); j += 1
                } else {
                    merged.append(x[i]); i += 1; j += 1
                }
            }
            return merged
        }
    }

    /// The cursor after `token`, or nil when neither trie continues that way.
    public func step(_ cursor: Cursor, token: TokenID) -> Cursor? {
        let b = cursor.baseNode.flatMap { base.step($0, token: token) }
        let a = cursor.addedNode.flatMap { added.step($0, token: token) }
        return b == nil && a == nil ? nil : Cursor(base: b, added: a)
    }

    public func isTerminal(_ cursor: Cursor) -> Bool {
        (cursor.baseNode.map(base.isTerminal) ?? false) || (cursor.addedNode.map(added.isTerminal) ?? false)
    }

    /// Sorted, distinct payloads of the name ending at `cursor` in either trie.
    public func payloads(at cursor: Cursor) -> [UInt32] {
        var out: [UInt32] = []
        if let b = cursor.baseNode { out.append(contentsOf: base.payloads(at: b)) }
        if let a = cursor.addedNode {
            out.append(contentsOf: added.payloads(at: a))
            out.sort()
            var unique: [UInt32] = []
            for p in out where unique.last != p { unique.append(p) }
            out = unique
        }
        return out
    }
}

/// Restricts decoding to the names of a `PrefixTrieOverlay` (frozen trie plus added names).
/// Same contract as `PrefixTrieConstraint`; each step costs two binary searches and, where both
/// tries continue, one merge of their child lists.
public struct PrefixTrieOverlayConstraint: LogitConstraint, Sendable {
    public let overlay: PrefixTrieOverlay
    private let rootChildren: [TokenID]

    public init(overlay: PrefixTrieOverlay) {
        self.overlay = overlay
        rootChildren = overlay.children(of: overlay.root)
    }

    public var initialState: PrefixTrieOverlay.Cursor { overlay.root }

    public func allowed(in state: PrefixTrieOverlay.Cursor) -> AllowedTokens {
        state == overlay.root ? .only(rootChildren) : .only(overlay.children(of: state))
    }

    public func advance(_ state: PrefixTrieOverlay.Cursor, by token: TokenID) -> PrefixTrieOverlay.Cursor? {
        overlay.step(state, token: token)
    }

    public func isAccepting(_ state: PrefixTrieOverlay.Cursor) -> Bool { overlay.isTerminal(state) }

    public func payloads(at state: PrefixTrieOverlay.Cursor) -> [UInt32] { overlay.payloads(at: state) }
}
