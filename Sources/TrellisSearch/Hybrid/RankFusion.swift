import TrellisStore

/// How two ranked lists are fused.
public enum FusionMethod: Sendable, Equatable {
    /// Reciprocal-rank fusion (G. Cormack, C. Clarke, S. Büttcher, "Reciprocal Rank Fusion
    /// outperforms Condorcet and individual Rank Learning Methods", SIGIR 2009):
    /// score(d) = Σ_lists 1 / (k + rank(d)), rank from 1; a list without d adds nothing.
    case reciprocalRank(k: Double)
    /// Convex combination of min-max normalized scores:
    /// score(d) = λ·ŝ_seal(d) + (1 − λ)·ŝ_bm25(d), ŝ = (s − min) / (max − min) over each list,
    /// 0 when d is absent from a list.
    case linear(sealWeight: Double)
}

/// Fuses a SEAL ranking and a BM25 ranking into one. O((a + b) log(a + b)) for lists of a and b hits.
public enum RankFusion {
    public static func fuse(seal: [SearchHit], bm25: [SearchHit], method: FusionMethod, limit: Int) -> [SearchHit] {
        var scores: [PassageID: Double] = [:]
        var matches: [PassageID: [SEALMatch]] = [:]
        for h in seal { matches[h.passageID] = h.matches }
        switch method {
        case .reciprocalRank(let k):
            for list in [seal, bm25] {
                for (r, h) in list.enumerated() { scores[h.passageID, default: 0] += 1 / (k + Double(r + 1)) }
            }
        case .linear(let lambda):
            for (list, weight) in [(seal, lambda), (bm25, 1 - lambda)] {
                guard let hi = list.map(\.score).max(), let lo = list.map(\.score).min() else { continue }
                let span = hi - lo
                for h in list {
                    let normalized = span > 0 ? (h.score - lo) / span : 1
                    scores[h.passageID, default: 0] += weight * normalized
                }
            }
        }
        let ranked = scores.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
        return ranked.prefix(limit).map { SearchHit(passageID: $0.key, score: $0.value, matches: matches[$0.key] ?? []) }
    }
}

/// How one list's scores are put on a common scale before a weighted sum (`RankFusion.linear`).
public enum ScoreNormalization: String, Sendable, Equatable, CaseIterable {
    /// ŝ = (s − min) / (max − min) over the list; 1 when its scores are all equal.
    case minMax = "minmax"
    /// ŝ = (s − mean) / σ over the list (population σ); 0 when its scores are all equal.
    case zScore = "zscore"

    /// The normalized scores of `scores`, in order. O(n).
    public func normalized(_ scores: [Double]) -> [Double] {
        guard !scores.isEmpty else { return [] }
        switch self {
        case .minMax:
            let lo = scores.min()!, span = scores.max()! - lo
            return scores.map { span > 0 ? ($0 - lo) / span : 1 }
        case .zScore:
            let mean = scores.reduce(0, +) / Double(scores.count)
            let sd = (scores.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(scores.count)).squareRoot()
            return scores.map { sd > 0 ? ($0 - mean) / sd : 0 }
        }
    }
}

extension RankFusion {
    /// Weighted sum of normalized scores over any number of lists:
    /// score(d) = Σ_i w_i·ŝ_i(d), ŝ_i normalized over list i (`normalization`; min-max by default),
    /// 0 when d is absent from list i. The first list that carries SEAL matches for d
    /// supplies them. Ties go to the smaller passage id. O(Σ |list| · log).
    public static func linear(_ lists: [(hits: [SearchHit], weight: Double)], limit: Int,
                              normalization: ScoreNormalization = .minMax) -> [SearchHit] {
        var scores: [PassageID: Double] = [:]
        var matches: [PassageID: [SEALMatch]] = [:]
        for (hits, weight) in lists {
            for (h, normalized) in zip(hits, normalization.normalized(hits.map(\.score))) {
                scores[h.passageID, default: 0] += weight * normalized
                if matches[h.passageID] == nil, !h.matches.isEmpty { matches[h.passageID] = h.matches }
            }
        }
        let ranked = scores.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
        return ranked.prefix(max(limit, 0)).map { SearchHit(passageID: $0.key, score: $0.value, matches: matches[$0.key] ?? []) }
    }

    /// Second stage: the first `depth` passages of `firstStage` are reordered by
    /// `linear(lists + [(rescored, rescoreWeight)], normalization:)` restricted to them, and the rest of
    /// `firstStage` follows in its own order. Scores of the reordered head are the fused ones
    /// shifted above every tail score, so the result stays sorted by score.
    public static func rerankHead(firstStage: [SearchHit], depth: Int, lists: [(hits: [SearchHit], weight: Double)],
                                  rescored: [SearchHit], rescoreWeight: Double, limit: Int,
                                  normalization: ScoreNormalization = .minMax) -> [SearchHit] {
        let headIDs = Set(firstStage.prefix(max(depth, 0)).map(\.passageID))
        guard !headIDs.isEmpty else { return Array(firstStage.prefix(max(limit, 0))) }
        let matchesOf = Dictionary(firstStage.map { ($0.passageID, $0.matches) }, uniquingKeysWith: { a, _ in a })
        let restricted = lists.map { (hits: $0.hits.filter { headIDs.contains($0.passageID) }, weight: $0.weight) }
            + [(hits: rescored.filter { headIDs.contains($0.passageID) }, weight: rescoreWeight)]
        var head = linear(restricted, limit: headIDs.count, normalization: normalization)
        // Passages of the head absent from every list (impossible from a fusion, kept for safety).
        let seen = Set(head.map(\.passageID))
        head += firstStage.prefix(depth).filter { !seen.contains($0.passageID) }.map { SearchHit(passageID: $0.passageID, score: 0) }
        let tail = firstStage.dropFirst(depth)
        let lift = (tail.map(\.score).max() ?? 0) + 1 - (head.map(\.score).min() ?? 0)
        var out = head.map { SearchHit(passageID: $0.passageID, score: $0.score + lift, matches: matchesOf[$0.passageID] ?? []) }
        out += tail
        return Array(out.prefix(max(limit, 0)))
    }
}

/// BM25 hits (FTS5) as search hits.
extension SearchHit {
    public init(_ hit: BM25Hit) { self.init(passageID: hit.passageID, score: hit.score) }
}
