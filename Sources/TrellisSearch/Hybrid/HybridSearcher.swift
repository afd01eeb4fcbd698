import TrellisCore
import TrellisStore

/// The hybrid's configuration: a first-stage fusion of SEAL and BM25 over each one's top
/// `depth` (BM25 alone without `usesSEAL`), then (when `rerankDepth > 0`) query-likelihood rescoring of the first-stage top
/// `rerankDepth`, reordered by bm25Weight·ŝ_bm25 + sealWeight·ŝ_seal + likelihoodWeight·ŝ_ql, ŝ each
/// list normalized over the head by `headNormalization` (`RankFusion.rerankHead`). Defaults chosen on the even-position SciFact train queries
/// (BENCHMARKS.md, "Passage search").
public struct HybridConfiguration: Sendable, Equatable {
    /// Whether SEAL runs at all; without it the first stage is BM25 alone and SEAL's weight is
    /// ignored (SEAL costs beam 15 × 10 model steps per query).
    public var usesSEAL: Bool = false
    public var firstStage: FusionMethod = .linear(sealWeight: 0.2)
    public var depth: Int = 100
    public var rerankDepth: Int = 30
    public var bm25Weight: Double = 0.5
    public var sealWeight: Double = 0
    public var likelihoodWeight: Double = 0.5
    /// How each list's scores are normalized over the rescored head before the weighted sum.
    public var headNormalization: ScoreNormalization = .zScore
    /// Rescoring prompt: the passage's first 64 and last 64 indexed tokens (abstracts state their
    /// findings at the end; session 4 in BENCHMARKS.md).
    public var likelihood: QueryLikelihoodOptions = {
        var options = QueryLikelihoodOptions()
        options.passageTokenBudget = 64
        options.passageTailTokens = 64
        return options
    }()

    public init() {}
}

/// SEAL and BM25 together, fused, then optionally rescored by query likelihood (see
/// `HybridConfiguration`). Cost: one SEAL search, one FTS5 query, and `QueryLikelihoodReranker`
/// over `rerankDepth` passages.
public final class HybridSearcher {
    public let seal: SEALSearcher
    public var configuration: HybridConfiguration
    public let reranker: QueryLikelihoodReranker

    public init(seal: SEALSearcher, configuration: HybridConfiguration = HybridConfiguration()) {
        self.seal = seal
        self.configuration = configuration
        self.reranker = QueryLikelihoodReranker(model: seal.model, tokenizer: seal.tokenizer, options: configuration.likelihood)
    }

    public func search(_ query: String, limit: Int = 10) throws -> (hits: [SearchHit], ngrams: [SEALNgram]) {
        let c = configuration
        let s = c.usesSEAL ? try seal.search(query, limit: c.depth) : SEALResult(ngrams: [], hits: [])
        let b = try seal.store.bm25Search(query: query, limit: c.depth).map(SearchHit.init)
        let first = c.usesSEAL ? RankFusion.fuse(seal: s.hits, bm25: b, method: c.firstStage, limit: max(limit, c.depth)) : b
        guard c.rerankDepth > 0 else { return (Array(first.prefix(limit)), s.ngrams) }
        let ids = first.prefix(c.rerankDepth).map(\.passageID)
        let rescored = try rescore(query: query, ids: ids)
        let hits = RankFusion.rerankHead(firstStage: first, depth: c.rerankDepth,
                                         lists: [(b, c.bm25Weight), (s.hits, c.usesSEAL ? c.sealWeight : 0)],
                                         rescored: rescored, rescoreWeight: c.likelihoodWeight, limit: limit,
                                         normalization: c.headNormalization)
        return (hits, s.ngrams)
    }

    /// Query-likelihood scores of the given passages (store ids) as hits, in the given order.
    public func rescore(query: String, ids: [PassageID]) throws -> [SearchHit] {
        reranker.options = configuration.likelihood
        var tokensOf: [PassageID: [TokenID]] = [:]
        for record in try seal.store.passages(ids: ids) { tokensOf[record.id] = record.tokens ?? [] }
        let present = ids.filter { tokensOf[$0] != nil }
        let scores = try reranker.scores(query: query, passages: present.map { tokensOf[$0]! })
        return zip(present, scores).map { SearchHit(passageID: $0, score: $1) }
    }
}
