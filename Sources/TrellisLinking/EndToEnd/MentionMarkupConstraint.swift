import Foundation
import TrellisCore
import TrellisTrie

/// GENRE's copy-the-input machine for end-to-end entity linking (De Cao et al. 2021,
/// "Autoregressive Entity Retrieval", sec. 2.2 and fig. 2): the model rewrites the input, and
/// this constraint lets it only
/// - *outside* a mention: copy the next input token, or open a mention (`[`) where some allowed
///   span starts, or end (the end token) once the whole input is copied;
/// - *inside* a mention: copy the next input token (at least one) while an allowed span can
///   still end further on, or close it (`]`) where an allowed span ends;
/// - *at the entity*: write `{ name }` from the trie of that span's candidates (names of KB
///   entities, and the reserved NIL name when allowed), then go back outside.
///
/// Mentions start and end at chunk boundaries of `EndToEndInput` (whitespace + word), so the copy
/// reproduces the input's tokens exactly. Allowed spans are given with their entity trie (one
/// trie per surface, built per request from the mention table). The state is a small value (a
/// token position and a trie cursor); `allowed` is O(1) outside and inside mentions and one child
/// list inside a trie; `advance` is O(1) or one O(log fan-out) trie step.
public struct MentionMarkupConstraint: LogitConstraint, Sendable {
    /// A mention as chunks `first..<end` of the input.
    public struct Span: Hashable, Sendable {
        public var first: Int
        public var end: Int
        public init(first: Int, end: Int) {
            self.first = first
            self.end = end
        }
    }

    public struct State: Hashable, Sendable {
        public enum Phase: UInt8, Sendable { case outside, mention, entity, finished }
        public var phase: Phase
        /// The next input token to copy (in an entity: the token after the mention).
        public var position: Int32
        /// The chunk where the open mention starts (mention and entity phases).
        public var mentionStart: Int32
        /// Which trie the entity is written from, and the cursor in it.
        public var trie: Int32
        public var node: PrefixTrie.Node
    }

    public let input: EndToEndInput
    public let markers: MentionMarkers
    public let endToken: TokenID
    /// Entity tries; each stored sequence is entityOpen + name tokens + entityClose.
    public let tries: [PrefixTrie]
    /// Score each decision by the model's probability renormalized over the allowed tokens
    /// (p(open) / (p(open) + p(copy)), a candidate name among candidates), instead of by its
    /// full-vocabulary probability. Forced copies cost nothing either way, so without this an
    /// output with mentions pays for every name token while a plain copy pays almost nothing.
    public var renormalizeDecisions: Bool = true
    /// Weight of the mention table's prior in the entity choice (0: the model alone). At each
    /// branching of a name trie, the renormalized model probabilities are multiplied by the
    /// prior mass under each branch (to this power) and renormalized again, so along a whole
    /// name the entity gets model × p(e|m)^weight without changing the odds of opening a mention.
    public var priorWeight: Float = 0
    /// Per trie, per node (breadth-first index): log of the prior mass of the distinct entities
    /// under the node. Empty when no priors were given.
    private let logPriorMass: [[Float]]
    private let spanTries: [Span: Int32]
    /// Per start chunk: the token position of the farthest allowed span end, or -1 for none.
    private let farthestEndPosition: [Int]

    /// `spans` maps each allowed mention span to the index of its trie in `tries`; `priors`
    /// (optional, one map per trie) gives each payload's p(e|m), missing payloads get
    /// `missingPrior`.
    public init(input: EndToEndInput, markers: MentionMarkers, endToken: TokenID, tries: [PrefixTrie],
                spans: [Span: Int], priors: [[UInt32: Double]]? = nil, missingPrior: Double = 1e-3) {
        self.input = input
        self.markers = markers
        self.endToken = endToken
        self.tries = tries
        if let priors, priors.count == tries.count {
            logPriorMass = zip(tries, priors).map { Self.logPriorMass(of: $0, priors: $1, missing: missingPrior) }
        } else {
            logPriorMass = []
        }
        var spanTries: [Span: Int32] = [:]
        var farthest = [Int](repeating: -1, count: input.chunks.count)
        for (span, trie) in spans where span.first >= 0 && span.first < span.end && span.end <= input.chunks.count
            && trie >= 0 && trie < tries.count {
            spanTries[span] = Int32(trie)
            farthest[span.first] = max(farthest[span.first], input.tokenPosition(ofChunk: span.end))
        }
        self.spanTries = spanTries
        farthestEndPosition = farthest
    }

    /// Number of allowed spans.
    public var spanCount: Int { spanTries.count }

    public var initialState: State {
        State(phase: .outside, position: 0, mentionStart: -1, trie: -1, node: .root)
    }

    private func mayOpen(at position: Int) -> Bool {
        let c = Int(input.chunkStartingAt[position])
        return c >= 0 && c < farthestEndPosition.count && farthestEndPosition[c] >= 0
    }

    private func closingTrie(_ state: State) -> Int32? {
        let p = Int(state.position)
        let c = Int(input.chunkStartingAt[p])
        guard c > Int(state.mentionStart) else { return nil }
        return spanTries[Span(first: Int(state.mentionStart), end: c)]
    }

    private func mayCopyInMention(_ state: State) -> Bool {
        Int(state.position) < farthestEndPosition[Int(state.mentionStart)]
    }

    public func allowed(in state: State) -> AllowedTokens {
        let p = Int(state.position)
        var tokens: [TokenID] = []
        switch state.phase {
        case .finished:
            return .only([])
        case .outside:
            if p < input.tokens.count { tokens.append(input.tokens[p]) }
            if mayOpen(at: p) { tokens.append(markers.mentionOpen) }
            if p == input.tokens.count { tokens.append(endToken) }
        case .mention:
            if mayCopyInMention(state) { tokens.append(input.tokens[p]) }
            if closingTrie(state) != nil { tokens.append(markers.mentionClose) }
        case .entity:
            return .only(tries[Int(state.trie)].children(of: state.node).tokens)
        }
        if tokens.count == 2 {
            if tokens[0] > tokens[1] { tokens.swapAt(0, 1) } else if tokens[0] == tokens[1] { tokens.removeLast() }
        }
        return .only(tokens)
    }

    public func advance(_ state: State, by token: TokenID) -> State? {
        let p = Int(state.position)
        var next = state
        switch state.phase {
        case .finished:
            return nil
        case .outside:
            // Copying wins over a marker spelled by the same token (keeps outputs unambiguous).
            if p < input.tokens.count && token == input.tokens[p] {
                next.position += 1
            } else if token == markers.mentionOpen && mayOpen(at: p) {
                next.phase = .mention
                next.mentionStart = input.chunkStartingAt[p]
            } else if p == input.tokens.count && token == endToken {
                next.phase = .finished
            } else {
                return nil
            }
        case .mention:
            if mayCopyInMention(state) && token == input.tokens[p] {
                next.position += 1
            } else if token == markers.mentionClose, let trie = closingTrie(state) {
                next.phase = .entity
                next.trie = trie
                next.node = .root
            } else {
                return nil
            }
        case .entity:
            let trie = tries[Int(state.trie)]
            guard let node = trie.step(state.node, token: token) else { return nil }
            if trie.isTerminal(node) && trie.childCount(of: node) == 0 {
                next = State(phase: .outside, position: state.position, mentionStart: -1, trie: -1, node: .root)
                return next
            }
            next.node = node
        }
        return next
    }

    public func isAccepting(_ state: State) -> Bool { state.phase == .finished }

    public var biasesLogits: Bool { renormalizeDecisions }

    /// Subtracts the log-sum-exp of the allowed entries (the row is already masked to them), so
    /// they sum to probability 1; inside a name trie with a prior weight, first adds
    /// weight · log(prior mass of the branch / mass of the node). O(allowed) after the
    /// decoder's O(V) log-softmax.
    public func addBias(in state: State, to logProbs: UnsafeMutableBufferPointer<Float>) {
        guard renormalizeDecisions, case .only(let tokens) = allowed(in: state), tokens.count > 1 else { return }
        if state.phase == .entity, priorWeight != 0, Int(state.trie) < logPriorMass.count {
            let trie = tries[Int(state.trie)]
            let mass = logPriorMass[Int(state.trie)]
            let here = mass[Int(state.node.index)]
            for t in tokens where Int(t) < logProbs.count {
                if let child = trie.step(state.node, token: t) {
                    logProbs[Int(t)] += priorWeight * (mass[Int(child.index)] - here)
                }
            }
        }
        var top = -Float.infinity
        for t in tokens where Int(t) < logProbs.count { top = max(top, logProbs[Int(t)]) }
        guard top.isFinite else { return }
        var sum: Float = 0
        for t in tokens where Int(t) < logProbs.count { sum += expf(logProbs[Int(t)] - top) }
        let logZ = top + logf(sum)
        for t in tokens where Int(t) < logProbs.count { logProbs[Int(t)] -= logZ }
    }

    /// Log prior mass under every node of `trie`: the sum of the priors of the distinct
    /// payloads stored at or below it. One pass from the deepest nodes up (children have larger
    /// breadth-first indexes than their parent). O(nodes · payloads per subtree).
    static func logPriorMass(of trie: PrefixTrie, priors: [UInt32: Double], missing: Double) -> [Float] {
        var below = [Set<UInt32>](repeating: [], count: trie.nodeCount)
        var parent = [Int](repeating: -1, count: trie.nodeCount)
        for v in 0..<trie.nodeCount {
            let node = PrefixTrie.Node(index: UInt32(v))
            below[v].formUnion(trie.payloads(at: node))
            for t in trie.children(of: node) {
                if let child = trie.step(node, token: t) { parent[Int(child.index)] = v }
            }
        }
        for v in stride(from: trie.nodeCount - 1, to: 0, by: -1) where parent[v] >= 0 {
            below[parent[v]].formUnion(below[v])
        }
        return below.map { payloads in
            let mass = payloads.reduce(0.0) { $0 + max(priors[$1] ?? missing, 1e-12) }
            return mass > 0 ? Float(log(mass)) : 0
        }
    }

    /// One linked mention read back from an output.
    public struct Link: Hashable, Sendable {
        public var span: Span
        /// The trie payloads of the written name (entity ids, or the NIL payload).
        public var payloads: [UInt32]
    }

    /// Replays `tokens` through the machine and returns the mentions it linked, in order; nil
    /// when the constraint rejects the tokens.
    public func links(in tokens: [TokenID]) -> [Link]? {
        var state = initialState
        var links: [Link] = []
        for token in tokens {
            guard let next = advance(state, by: token) else { return nil }
            if state.phase == .entity && next.phase == .outside {
                let trie = tries[Int(state.trie)]
                guard let node = trie.step(state.node, token: token) else { return nil }
                let end = Int(input.chunkStartingAt[Int(state.position)])
                links.append(Link(span: Span(first: Int(state.mentionStart), end: end), payloads: Array(trie.payloads(at: node))))
            }
            state = next
        }
        return links
    }
}
