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

/// BM25 hits (FTS5) as search hits.
extension SearchHit {
    public init(_ hit: BM25Hit) { self.init(passageID: hit.passageID, score: hit.score) }
}

/// SEAL and BM25 together, fused by `method` over each one's top `depth` (default: linear with
/// λ chosen on the SciFact train queries — see README). Cost: one SEAL search plus one FTS5 query.
public final class HybridSearcher {
    public let seal: SEALSearcher
    public var method: FusionMethod
    public var depth: Int

    public static let defaultMethod = FusionMethod.linear(sealWeight: 0.2)

    public init(seal: SEALSearcher, method: FusionMethod = HybridSearcher.defaultMethod, depth: Int = 100) {
        self.seal = seal
        self.method = method
        self.depth = depth
    }

    public func search(_ query: String, limit: Int = 10) throws -> (hits: [SearchHit], ngrams: [SEALNgram]) {
        let s = try seal.search(query, limit: depth)
        let b = try seal.store.bm25Search(query: query, limit: depth).map(SearchHit.init)
        return (RankFusion.fuse(seal: s.hits, bm25: b, method: method, limit: limit), s.ngrams)
    }
}
