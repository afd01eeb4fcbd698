import TrellisCore
import TrellisFMIndex
import TrellisStore

/// A passage found by search: store id and key, score (higher is better), and for SEAL the
/// n-grams counted for it (with their token offsets in the passage's tokens) for highlighting.
public struct SearchHit: Sendable, Equatable {
    public var passageID: PassageID
    public var score: Double
    public var matches: [SEALMatch]

    public init(passageID: PassageID, score: Double, matches: [SEALMatch] = []) {
        self.passageID = passageID
        self.score = score
        self.matches = matches
    }
}

/// What one SEAL search produced: the generated n-grams (weights filled) and the ranked passages,
/// whose `matches` index into `ngrams`.
public struct SEALResult: Sendable {
    public var ngrams: [SEALNgram]
    public var hits: [SearchHit]
}

/// Passage search by generated n-grams (SEAL: M. Bevilacqua et al., "Autoregressive Search
/// Engines: Generating Substrings as Document Identifiers", NeurIPS 2022).
///
/// 1. The model reads `SEALOptions.prompt` with the query; `SEALNgramGenerator` runs a beam search
///    constrained by the FM-index and keeps every n-gram visited, with log P(n|q).
/// 2. Each n-gram gets SEAL's weight w(n) (`SEALScoring.weight`, P(n) = count / corpus tokens).
/// 3. First stage: n-grams with w > 0 and at most `maxOccurrencesToLocate` occurrences are located
///    in the FM-index; passages are scored by intersective aggregation (`SEALScoring.aggregate`).
/// 4. Second stage: the best `rescoreDepth` passages are rescored exactly on their stored tokens
///    with every weighted n-gram (frequent ones too), then everything is ranked by score.
/// Cost per query: maxLength batched model steps of ≤ beamSize rows, plus locate
/// O(Σ occurrences · sampleRate · log σ) and rescoring O(rescoreDepth · passage length).
public final class SEALSearcher {
    public let index: PassageIndex
    public let store: TrellisStore
    public let model: any NextTokenModel
    public let tokenizer: any TextTokenizer
    public var options: SEALOptions

    public init(index: PassageIndex, store: TrellisStore, model: any NextTokenModel, tokenizer: any TextTokenizer,
                options: SEALOptions = SEALOptions()) {
        self.index = index
        self.store = store
        self.model = model
        self.tokenizer = tokenizer
        self.options = options
    }

    /// Generated n-grams for `query`, weighted, in generation order.
    public func ngrams(for query: String) throws -> [SEALNgram] {
        var prompt: [TokenID] = []
        if tokenizer.addsBOS, let bos = tokenizer.bosTokenID { prompt.append(bos) }
        prompt += tokenizer.encode(options.promptText(for: query))
        let generator = SEALNgramGenerator(index: index.fmIndex, beamSize: options.beamSize, maxLength: options.maxNgramLength)
        var ngrams = try generator.generate(model: model, prompt: prompt)
        for i in ngrams.indices {
            ngrams[i].weight = SEALScoring.weight(logProb: ngrams[i].logProb, count: ngrams[i].count,
                                                  tokenCount: index.fmIndex.tokenCount, alpha: options.alpha)
        }
        return ngrams
    }

    /// The best `limit` passages for `query`.
    public func search(_ query: String, limit: Int = 10) throws -> SEALResult {
        let ngrams = try ngrams(for: query)
        return try rank(ngrams: ngrams, limit: limit)
    }

    /// Ranks passages for already generated (and weighted) n-grams.
    public func rank(ngrams: [SEALNgram], limit: Int) throws -> SEALResult {
        let fm = index.fmIndex
        var matchesByPassage: [Int: [SEALMatch]] = [:]
        for (g, n) in ngrams.enumerated() where n.weight > 0 && n.count <= options.maxOccurrencesToLocate {
            guard let cursor = fm.cursor(for: n.tokens) else { continue }
            for occurrence in fm.locate(cursor) {
                matchesByPassage[occurrence.passage, default: []].append(SEALMatch(ngram: g, offset: occurrence.offset))
            }
        }
        var first: [(passage: Int, score: Double)] = []
        first.reserveCapacity(matchesByPassage.count)
        for (p, matches) in matchesByPassage {
            first.append((p, SEALScoring.aggregate(matches: matches, ngrams: ngrams, coverageWeight: options.coverageWeight).score))
        }
        first.sort { $0.score != $1.score ? $0.score > $1.score : $0.passage < $1.passage }

        var hits: [SearchHit] = []
        let depth = min(options.rescoreDepth, first.count)
        let rescoredIDs = first.prefix(depth).map { index.passageIDs[$0.passage] }
        let weighted = ngrams.enumerated().filter { $0.element.weight > 0 }
        for record in try store.passages(ids: rescoredIDs) {
            let tokens = record.tokens ?? []
            let local = SEALScoring.matches(of: weighted.map(\.element), in: tokens)
                .map { SEALMatch(ngram: weighted[$0.ngram].offset, offset: $0.offset) }
            let (score, counted) = SEALScoring.aggregate(matches: local, ngrams: ngrams, coverageWeight: options.coverageWeight)
            hits.append(SearchHit(passageID: record.id, score: score, matches: counted))
        }
        for entry in first.dropFirst(depth) {
            let matches = matchesByPassage[entry.passage] ?? []
            let counted = SEALScoring.aggregate(matches: matches, ngrams: ngrams, coverageWeight: options.coverageWeight).counted
            hits.append(SearchHit(passageID: index.passageIDs[entry.passage], score: entry.score, matches: counted))
            if hits.count >= max(limit, depth) { break }
        }
        hits.sort { $0.score != $1.score ? $0.score > $1.score : $0.passageID < $1.passageID }
        return SEALResult(ngrams: ngrams, hits: Array(hits.prefix(limit)))
    }
}
