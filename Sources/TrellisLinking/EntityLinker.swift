import Foundation
import TrellisCore
import TrellisDecoding
import TrellisStore
import TrellisTrie

/// Settings of the linker; defaults are those chosen on development data (see BENCHMARKS.md).
public struct LinkingOptions: Sendable {
    /// Beam width over names.
    public var beamSize: Int = 5
    /// With candidate lists, the beam widens to cover every candidate name, up to this many.
    public var maxCandidateBeam: Int = 48
    public var maxNameTokens: Int = 24
    /// A name's score is logP(name) / length^lengthPenalty before names are marginalized.
    public var lengthPenalty: Float = 0
    /// Weight of log p(e|m) from the mention table or candidate list, added to the model score.
    public var priorWeight: Float = 0.5
    public var jumpForward: Bool = false
    /// The document prefix is cut to this many tokens (it is shared by all its mentions).
    public var maxDocumentTokens: Int = 384
    /// Candidate tries also hold the reserved NIL name; a NIL answer ranks as `LinkedEntity.isNil`.
    /// Candidate lists are then searched in their trie (model + weighted prior), not ranked.
    public var allowNil: Bool = false
    public var prompt = LinkingPrompt()
    /// With candidate lists, score every candidate name exactly by teacher forcing
    /// (`CandidateNameScorer`) instead of a beam search over the candidates' trie.
    public var exactCandidateScoring: Bool = true
    /// With exact scoring, only the best `candidateShortlist` candidates by mention-table p(e|m)
    /// and the best as many by list prior (their union) are scored and ranked; 0 keeps all.
    /// On AIDA testa a shortlist of 6 keeps the gold entity for 99.5% of mentions at about a
    /// third of the model cost.
    public var candidateShortlist: Int = 6
    /// With candidate lists (and exact scoring), rank candidates with this log-linear model over
    /// model score, prior, mention-table p(e|m) and string features; nil adds the weighted log
    /// prior to the model score instead.
    public var ranker: CandidateRanker? = CandidateRanker.standard
    /// Whether a mention given no candidate list takes its candidates from the store's mention
    /// table (else it always searches the whole KB trie, e.g. to measure whole-KB linking).
    public var usesMentionTable: Bool = true

    public init() {}
}

/// A candidate for a mention, with a prior (p(e|m), a count or a popularity; normalized here).
public struct CandidateEntity: Sendable, Hashable {
    public var entityID: EntityID
    public var prior: Double
    public init(entityID: EntityID, prior: Double) {
        self.entityID = entityID
        self.prior = prior
    }
}

/// One ranked entity for a mention.
public struct LinkedEntity: Sendable, Codable, Equatable {
    public var entityID: EntityID
    public var key: String
    public var name: String
    /// Final score: model score plus weighted log prior.
    public var score: Float
    /// log Σ over the entity's names of exp(name score): the model's belief (mGENRE's marginalization).
    public var modelScore: Float
    /// Normalized prior among the candidates (nil without candidates).
    public var prior: Float?
}

/// Links mentions to knowledge-base entities the GENRE way: the model writes an entity's name
/// token by token, masked by a prefix trie over names (De Cao et al. 2021, "Autoregressive Entity
/// Retrieval"); several names of one entity are marginalized into one score with log-sum-exp
/// (De Cao et al. 2022, mGENRE). With candidate lists the trie holds only the candidates' names
/// and the candidates' prior is added with a weight; without, the whole KB trie is used.
/// The document is read once per request; each mention forks its cached prefix.
public final class EntityLinker {
    public let store: TrellisStore
    public let tokenizer: any TextTokenizer
    public let model: any NextTokenModel
    public let names: NameTrieIndex?
    public var options: LinkingOptions
    public let endToken: TokenID
    /// When set, beam searches add their model and constraint time here.
    public var statistics: DecodingStatistics?

    public init(store: TrellisStore, tokenizer: any TextTokenizer, model: any NextTokenModel,
                names: NameTrieIndex?, endToken: TokenID, options: LinkingOptions = LinkingOptions()) {
        self.store = store
        self.tokenizer = tokenizer
        self.model = model
        self.names = names
        self.endToken = endToken
        self.options = options
    }

    /// The end-of-name token for a tokenizer: the newline that ends an answer line.
    public static func endToken(for tokenizer: any TextTokenizer) -> TokenID {
        let newline = tokenizer.encode("\n")
        return newline.count == 1 ? newline[0] : (tokenizer.eosTokenID ?? 0)
    }

    /// Ranks entities for each span of `text`. `candidates[i]` (when given and non-nil)
    /// restricts mention i to those entities; otherwise the mention table is consulted, and
    /// without entries there the whole KB is searched (unless `candidatesOnly`).
    public func link(text: String, spans: [MentionSpan], candidates: [[CandidateEntity]?]? = nil,
                     candidatesOnly: Bool = false, topK: Int = 5) throws -> [[LinkedEntity]] {
        let length = text.count
        for s in spans where s.start < 0 || s.end > length || s.start >= s.end {
            throw LinkingError.spanOutOfRange(start: s.start, end: s.end, length: length)
        }
        guard !spans.isEmpty else { throw LinkingError.noMentionMarked }
        let chars = Array(text)
        var resolved: [[CandidateEntity]?] = []
        for (i, span) in spans.enumerated() {
            var cands = candidates?[i] ?? nil
            if cands == nil && options.usesMentionTable {
                let surface = String(chars[span.start..<span.end])
                let fromTable = try store.candidates(forSurface: surface)
                if !fromTable.isEmpty { cands = fromTable.map { CandidateEntity(entityID: $0.entityID, prior: $0.prior) } }
            }
            resolved.append(cands)
        }
        // A ranker that ignores the model's features needs no model pass (nor a shortlist); one
        // whose model features fire only for surfaces the mention table lacks needs it only there.
        let rankerUsesModel = options.ranker?.usesModel ?? true
        let onlyUnseen = options.ranker?.usesModelOnlyOnUnseenSurfaces ?? false
        var exact: [Int] = [], searched: [Int] = []
        var exactScored = Set<Int>()  // positions in `exact` the model scores
        for (i, span) in spans.enumerated() {
            // NIL's score comes from the model writing the NIL name in the candidates' trie, so
            // with NIL allowed candidate lists take the trie search (model + weighted prior).
            if let cands = resolved[i], options.exactCandidateScoring, !options.allowNil {
                guard !cands.isEmpty else { continue }
                let surface = String(chars[span.start..<span.end])
                if rankerUsesModel, try !onlyUnseen || mentionTablePriors(surface: surface) == nil {
                    resolved[i] = try shortlist(cands, surface: surface)
                    exactScored.insert(exact.count)
                }
                exact.append(i)
            } else if resolved[i] != nil || !candidatesOnly {
                searched.append(i)
            }
        }
        var results = [[LinkedEntity]](repeating: [], count: spans.count)
        guard !searched.isEmpty || !exactScored.isEmpty else {
            let evidence = try candidateEvidence(text: text, spans: exact.map { spans[$0] }, candidates: exact.map { resolved[$0]! }, modelScores: nil)
            for (k, i) in exact.enumerated() {
                results[i] = try rankScored(evidence[k], candidates: resolved[i]!, surface: String(chars[spans[i].start..<spans[i].end]), topK: topK)
            }
            return results
        }
        let document = try prepareDocument(text)
        defer { model.release(document) }
        for i in searched {
            let question = tokenizer.encode(options.prompt.question(text: text, span: spans[i]))
            results[i] = try rank(question: question, document: document, candidates: resolved[i], topK: topK)
        }
        if !exact.isEmpty {
            let evidence = try scoreCandidates(text: text, spans: exact.map { spans[$0] }, candidates: exact.map { resolved[$0]! },
                                               document: exactScored.isEmpty ? nil : document, scoresSpan: { exactScored.contains($0) })
            for (k, i) in exact.enumerated() {
                results[i] = try rankScored(evidence[k], candidates: resolved[i]!,
                                            surface: String(chars[spans[i].start..<spans[i].end]), topK: topK)
            }
        }
        return results
    }

    private func rank(question: [TokenID], document: SequenceID, candidates: [CandidateEntity]?, topK: Int) throws -> [LinkedEntity] {
        var modelScores: [EntityID: Float] = [:]
        var priors: [EntityID: Float] = [:]
        if let candidates {
            guard !candidates.isEmpty else { return [] }
            // Laplace-smoothed prior over the candidates.
            let total = candidates.reduce(0) { $0 + max($1.prior, 0) + 1 }
            for c in candidates { priors[c.entityID] = Float((max(c.prior, 0) + 1) / total) }
            guard let trie = try NameTrieIndex.candidates(candidates.map(\.entityID), store: store, tokenizer: tokenizer,
                                                          endToken: endToken, prompt: options.prompt,
                                                          includeNil: options.allowNil) else { return [] }
            let beam = min(max(options.beamSize, trie.payloadCount), options.maxCandidateBeam)
            let hyps = try search(PrefixTrieConstraint(trie: trie), beam: beam, question: question, document: document)
            let weight = Dictionary(candidates.map { ($0.entityID, max($0.prior, 0) + 1) }, uniquingKeysWith: max)
            for h in hyps { accumulate(&modelScores, Array(trie.payloads(at: h.state)), h.score, weight: weight) }
        } else {
            guard let names, !names.isEmpty else { throw LinkingError.emptyKnowledgeBase }
            let constraint = names.constraint
            let hyps = try search(constraint, beam: options.beamSize, question: question, document: document)
            let ids = Set(hyps.flatMap { constraint.payloads(at: $0.state) }).map { EntityID($0) }
            let weight = Dictionary(try store.entities(ids: ids).map { ($0.id, max($0.popularity ?? 0, 0) + 1) }, uniquingKeysWith: max)
            for h in hyps { accumulate(&modelScores, constraint.payloads(at: h.state), h.score, weight: weight) }
        }
        var ranked: [LinkedEntity] = []
        let ids = Array(Set(modelScores.keys).union(priors.keys))
        let records = Dictionary(uniqueKeysWithValues: try store.entities(ids: ids).map { ($0.id, $0) })
        for id in ids {
            if id == EntityID(LinkedEntity.nilPayload), let m = modelScores[id] {
                ranked.append(.nilAnswer(score: m, modelScore: m))
                continue
            }
            guard let record = records[id] else { continue }
            let m = modelScores[id] ?? -.infinity
            let p = priors[id]
            let score = m + (p.map { options.priorWeight * logf($0) } ?? 0)
            ranked.append(LinkedEntity(entityID: id, key: record.key, name: record.name, score: score, modelScore: m, prior: p))
        }
        ranked.sort { ($0.score, $1.key) > ($1.score, $0.key) }
        return Array(ranked.prefix(topK))
    }

    private func search<C: LogitConstraint>(_ constraint: C, beam: Int, question: [TokenID], document: SequenceID) throws -> [BeamHypothesis<C.State>] {
        let opts = BeamSearchOptions(beamSize: beam, maxNewTokens: options.maxNameTokens, lengthPenalty: options.lengthPenalty,
                                     endTokens: [endToken], jumpForward: options.jumpForward)
        let result = try BeamSearch(constraint: constraint, options: opts).search(model: model, prompt: question, parent: document)
        statistics?.add(result.statistics)
        return result.hypotheses
    }

    /// Adds one generated name's probability to the entities bearing it: p(e) += p(name) · p(e | name),
    /// with p(e | name) proportional to `weight` (popularity or prior) among those entities, so a
    /// name shared by several entities (an ambiguous alias) is split between them, not copied.
    private func accumulate(_ scores: inout [EntityID: Float], _ payloads: [UInt32], _ nameScore: Float,
                            weight: [EntityID: Double]) {
        let bearers = Set(payloads).map { EntityID($0) }
        let total = bearers.reduce(0.0) { $0 + (weight[$1] ?? 1) }
        for id in bearers {
            let score = nameScore + Float(log((weight[id] ?? 1) / total))
            if let old = scores[id] {
                let m = max(old, score)
                scores[id] = m + logf(expf(old - m) + expf(score - m))
            } else {
                scores[id] = score
            }
        }
    }
}
