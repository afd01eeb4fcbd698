import Foundation
import TrellisCore
import TrellisDecoding

/// One mention to score: its question tokens (appended to the shared document prefix) and
/// the token sequences of the names to score, each ending with the end-of-name token.
public struct NameScoringRequest: Sendable {
    public var question: [TokenID]
    public var names: [[TokenID]]
    public init(question: [TokenID], names: [[TokenID]]) {
        self.question = question
        self.names = names
    }
}

/// Scores a fixed list of names exactly by teacher forcing: log P(name | document, question) is
/// the sum of the model's log-probabilities of the name's tokens, end token included. Unlike
/// beam search, no name can fall out of a beam, and every name is scored.
///
/// The names of all mentions of a document are merged into one prefix tree per mention and
/// walked depth by depth: depth d is a single batched `extend` over every tree node at that depth
/// (across all mentions), each node forking its parent's cache and appending one token. Shared
/// name prefixes are therefore computed once. Cost: one model row per distinct proper prefix of
/// the names plus the question tokens; `maxDepth` extend calls; memory of `maxBatchRows` logit
/// rows. (Forced decoding of candidate titles as in GENRE's candidate-restricted setting,
/// De Cao et al. 2021, computed without a beam.)
public struct CandidateNameScorer {
    public let model: any NextTokenModel
    /// Rows per `extend` call, bounding the logit buffer (rows × vocabulary floats).
    public var maxBatchRows: Int = 256
    /// When set, model time is added here.
    public var statistics: DecodingStatistics?

    public init(model: any NextTokenModel, statistics: DecodingStatistics? = nil) {
        self.model = model
        self.statistics = statistics
    }

    /// A node of the per-mention prefix trees: the prefix `parent` + `token` of mention `request`.
    private struct Node {
        var request: Int
        var parent: Int
        var token: TokenID
        var sequence: SequenceID?
        /// log Σ exp(logits) after this prefix (filled when its logits are computed).
        var logNormalizer: Float = 0
        /// Log-probabilities of the tokens that follow this prefix in some name.
        var next: [(token: TokenID, logProb: Float)] = []
    }

    /// Returns, for each request, log P of each of its names (same order).
    /// The document sequence is only forked, never changed.
    public func score(document: SequenceID, requests: [NameScoringRequest]) throws -> [[Float]] {
        var nodes: [Node] = []
        var childIndex: [Int: [TokenID: Int]] = [:]
        // paths[r][n] = the node ids a name passes through (one per token of the name).
        var paths: [[[Int]]] = []
        var levels: [[Int]] = [[]]
        for (r, request) in requests.enumerated() {
            let root = nodes.count
            nodes.append(Node(request: r, parent: -1, token: 0, sequence: nil))
            // A request without names needs no model call at all.
            if !request.names.isEmpty { levels[0].append(root) }
            var namePaths: [[Int]] = []
            for name in request.names {
                var path: [Int] = []
                var node = root
                for (k, token) in name.enumerated() {
                    path.append(node)
                    guard k + 1 < name.count else { break }
                    if let child = childIndex[node]?[token] {
                        node = child
                    } else {
                        let child = nodes.count
                        nodes.append(Node(request: r, parent: node, token: token, sequence: nil))
                        childIndex[node, default: [:]][token] = child
                        if levels.count <= k + 1 { levels.append([]) }
                        levels[k + 1].append(child)
                        node = child
                    }
                }
                namePaths.append(path)
            }
            paths.append(namePaths)
        }
        // Which tokens each node must score.
        var wanted: [Int: Set<TokenID>] = [:]
        for (r, request) in requests.enumerated() {
            for (n, name) in request.names.enumerated() {
                for (k, node) in paths[r][n].enumerated() { wanted[node, default: []].insert(name[k]) }
            }
        }

        defer { for node in nodes { if let s = node.sequence { model.release(s) } } }
        let logits = LogitMatrix(rows: 1, width: model.vocabularySize)
        for (depth, level) in levels.enumerated() {
            var start = 0
            while start < level.count {
                // Rows per call: at depth 0 a request carries its whole question.
                var end = start, rows = 0
                while end < level.count {
                    let cost = depth == 0 ? max(requests[nodes[level[end]].request].question.count, 1) : 1
                    if end > start && rows + cost > maxBatchRows { break }
                    rows += cost
                    end += 1
                }
                var batch: [SequenceExtension] = []
                var batchNodes: [Int] = []
                for id in level[start..<end] {
                    let node = nodes[id]
                    let tokens: [TokenID]
                    let parentSequence: SequenceID
                    if depth == 0 {
                        tokens = requests[nodes[id].request].question
                        parentSequence = document
                        guard !tokens.isEmpty else { throw TrellisError.invalidArgument("a linking question has no tokens") }
                    } else {
                        tokens = [node.token]
                        guard let p = nodes[node.parent].sequence else { continue }
                        parentSequence = p
                    }
                    let child = try model.fork(parentSequence)
                    nodes[id].sequence = child
                    batch.append(SequenceExtension(sequence: child, tokens: tokens))
                    batchNodes.append(id)
                }
                let t0 = Date()
                try model.extend(batch, logits: logits)
                if let statistics {
                    statistics.modelSeconds += Date().timeIntervalSince(t0)
                    statistics.modelCalls += 1
                }
                for (row, id) in batchNodes.enumerated() {
                    let values = UnsafeBufferPointer(logits.row(row))
                    let normalizer = LogProbabilities.logSumExp(values)
                    nodes[id].logNormalizer = normalizer
                    nodes[id].next = (wanted[id] ?? []).map { ($0, values[Int($0)] - normalizer) }
                }
                start = end
            }
            // Parents of this level and childless nodes will never be forked again: free them.
            var done = Set<Int>()
            for id in level {
                if depth > 0 { done.insert(nodes[id].parent) }
                if childIndex[id] == nil { done.insert(id) }
            }
            for id in done {
                if let s = nodes[id].sequence { model.release(s); nodes[id].sequence = nil }
            }
        }

        var scores: [[Float]] = []
        for (r, request) in requests.enumerated() {
            var row: [Float] = []
            for (n, name) in request.names.enumerated() {
                var total: Float = 0
                for (k, node) in paths[r][n].enumerated() {
                    total += nodes[node].next.first { $0.token == name[k] }?.logProb ?? -.infinity
                }
                row.append(total)
            }
            scores.append(row)
        }
        return scores
    }
}
