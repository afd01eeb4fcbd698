import Foundation
import TrellisCore
import TrellisDecoding
import TrellisStore
import TrellisTrie

/// Settings of end-to-end linking.
public struct EndToEndOptions: Sendable {
    public var beamSize: Int = 4
    /// Longest mention considered, in chunks (words and symbols).
    public var maxMentionChunks: Int = 8
    /// Candidates kept per surface (highest prior first).
    public var maxCandidates: Int = 10
    /// Let a mention link to NIL: its trie gets the reserved NIL name, and capitalized spans of
    /// up to `maxNilChunks` chunks without any candidate may be marked as NIL mentions.
    public var allowNil: Bool = false
    public var maxNilChunks: Int = 3
    /// Length normalization exponent of whole outputs (0: plain sum of decision log-probabilities).
    public var lengthPenalty: Float = 0
    /// Weight of the mention table's p(e|m) in the choice among a span's candidates (see
    /// `MentionMarkupConstraint.priorWeight`); 0 leaves it to the model.
    public var priorWeight: Float = 0
    public var prompt = EndToEndPrompt()
    public init() {}
}

/// One mention found and linked by `EndToEndLinker`.
public struct EndToEndMention: Sendable, Equatable {
    /// Character offsets in the original text (Swift `Character`s).
    public var start: Int
    public var end: Int
    public var surface: String
    /// The entity, or nil for NIL.
    public var entity: LinkedEntity?
    /// Share of the beam's probability mass (hypotheses renormalized) that agrees on this span
    /// and entity: a confidence in 0...1.
    public var confidence: Float

    public init(start: Int, end: Int, surface: String, entity: LinkedEntity?, confidence: Float) {
        self.start = start
        self.end = end
        self.surface = surface
        self.entity = entity
        self.confidence = confidence
    }
}

/// The output of one end-to-end linking request.
public struct EndToEndResult: Sendable {
    public var mentions: [EndToEndMention]
    /// Log-probability of the best output's decisions (copied tokens the constraint forces count 0).
    public var logProb: Float
    /// Allowed mention spans the mention table offered.
    public var candidateSpans: Int
    public var statistics: BeamSearchStatistics
}

/// End-to-end entity linking the GENRE way (De Cao et al. 2021, "Autoregressive Entity
/// Retrieval", end-to-end EL): the model rewrites the input after a few-shot prompt, marking
/// mentions and writing entity names, under `MentionMarkupConstraint`; mention spans and their
/// candidates come from a mention table looked up for every span of up to `maxMentionChunks`
/// chunks. One constrained beam search per text; copied tokens are forced, so each decision
/// point (a possible mention start or end, or a name branch) costs one batched model pass.
/// Cost: O(chunks · maxMentionChunks) table lookups, one trie per distinct surface, and
/// O(decisions) model passes of beam width.
public final class EndToEndLinker {
    public let store: TrellisStore
    public let tokenizer: any TextTokenizer
    public let model: any NextTokenModel
    public let mentionTable: any MentionTable
    public let markers: MentionMarkers
    public let endToken: TokenID
    public var options: EndToEndOptions

    /// The reserved NIL name and its trie payload.
    public static let nilName = "NIL"

    public init(store: TrellisStore, tokenizer: any TextTokenizer, model: any NextTokenModel,
                mentionTable: (any MentionTable)? = nil, endToken: TokenID, options: EndToEndOptions = EndToEndOptions()) throws {
        self.store = store
        self.tokenizer = tokenizer
        self.model = model
        self.mentionTable = mentionTable ?? StoreMentionTable(store: store)
        self.markers = try MentionMarkers.choose(for: tokenizer)
        self.endToken = endToken
        self.options = options
    }

    /// Builds the machine for `text`: the chunked input, the allowed spans and their tries.
    public func constraint(for text: String) throws -> MentionMarkupConstraint {
        let input = EndToEndInput(text: text, tokenizer: tokenizer)
        var tries: [PrefixTrie] = []
        var trieOfSurface: [String: Int] = [:]
        var nilTrie: Int?
        var spans: [MentionMarkupConstraint.Span: Int] = [:]
        var priors: [[UInt32: Double]] = []
        let count = input.chunks.count
        for first in 0..<count where input.hasCore(first) {
            for end in (first + 1)...min(count, first + options.maxMentionChunks) where input.hasCore(end - 1) {
                let surface = input.surface(first, end)
                if let t = trieOfSurface[surface] {
                    if t >= 0 { spans[.init(first: first, end: end)] = t }
                    continue
                }
                let all = try mentionTable.candidates(forSurface: surface)
                let candidates = Array(all.prefix(options.maxCandidates))
                var index = -1
                if !candidates.isEmpty, let trie = try entityTrie(candidates.map(\.entityID), withNil: options.allowNil) {
                    tries.append(trie)
                    priors.append(Self.shares(all, nilShare: options.allowNil ? 1 / Double(all.count + 1) : nil))
                    index = tries.count - 1
                } else if options.allowNil, end - first <= options.maxNilChunks, surface.first?.isUppercase == true {
                    if nilTrie == nil, let trie = try entityTrie([], withNil: true) {
                        tries.append(trie)
                        priors.append([LinkedEntity.nilPayload: 1])
                        nilTrie = tries.count - 1
                    }
                    index = nilTrie ?? -1
                }
                trieOfSurface[surface] = index
                if index >= 0 { spans[.init(first: first, end: end)] = index }
            }
        }
        var constraint = MentionMarkupConstraint(input: input, markers: markers, endToken: endToken, tries: tries, spans: spans,
                                                 priors: priors)
        constraint.priorWeight = options.priorWeight
        return constraint
    }

    /// p(e|m) of each candidate: its share of the surface's total prior (all candidates, not
    /// only those kept), and NIL's share when given.
    static func shares(_ candidates: [CandidateEntity], nilShare: Double?) -> [UInt32: Double] {
        let total = candidates.reduce(0.0) { $0 + max($1.prior, 0) }
        var out: [UInt32: Double] = [:]
        for c in candidates {
            guard let payload = UInt32(exactly: c.entityID) else { continue }
            out[payload, default: 0] += total > 0 ? max(c.prior, 0) / total : 1 / Double(candidates.count)
        }
        if let nilShare { out[LinkedEntity.nilPayload] = nilShare }
        return out
    }

    /// A trie over `entityOpen + name + entityClose` for each name of `entities` (and NIL).
    func entityTrie(_ entities: [EntityID], withNil: Bool) throws -> PrefixTrie? {
        var builder = PrefixTrieBuilder()
        for id in entities {
            guard let payload = UInt32(exactly: id), payload != LinkedEntity.nilPayload else { continue }
            for name in try store.names(ofEntity: id) {
                let tokens = name.tokens ?? tokenizer.encode(" " + name.name)
                guard !tokens.isEmpty, !tokens.contains(markers.entityClose) else { continue }
                builder.insert([markers.entityOpen] + tokens + [markers.entityClose], payload: payload)
            }
        }
        if withNil {
            builder.insert([markers.entityOpen] + tokenizer.encode(" " + Self.nilName) + [markers.entityClose],
                           payload: LinkedEntity.nilPayload)
        }
        return builder.count > 0 ? try builder.freeze() : nil
    }

    /// Finds and links the mentions of `text`.
    public func link(text: String) throws -> EndToEndResult {
        guard !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { throw LinkingError.emptyText }
        let constraint = try constraint(for: text)
        let input = constraint.input
        let prompt = options.prompt.tokens(for: input, tokenizer: tokenizer, markers: markers)
        let budget = input.tokens.count + 1 + constraint.spanCount.clamped(to: 0...input.chunks.count) * 40
        let searchOptions = BeamSearchOptions(beamSize: options.beamSize, maxNewTokens: budget, lengthPenalty: options.lengthPenalty,
                                              endTokens: [endToken], jumpForward: true, forcedTokenScoring: .certain)
        let result = try BeamSearch(constraint: constraint, options: searchOptions).search(model: model, prompt: prompt)
        guard let best = result.hypotheses.first else {
            return EndToEndResult(mentions: [], logProb: -.infinity, candidateSpans: constraint.spanCount, statistics: result.statistics)
        }
        // Posterior over the returned outputs, for per-mention confidences.
        let top = result.hypotheses.map(\.logProb).max() ?? 0
        let weights = result.hypotheses.map { exp(Double($0.logProb - top)) }
        let total = weights.reduce(0, +)
        var agreement: [MentionMarkupConstraint.Link: Double] = [:]
        for (h, w) in zip(result.hypotheses, weights) {
            for link in Set(constraint.links(in: h.tokens) ?? []) { agreement[link, default: 0] += w / total }
        }
        var mentions: [EndToEndMention] = []
        let chars = Array(text)
        for link in constraint.links(in: best.tokens) ?? [] {
            let start = input.chunks[link.span.first].coreStart
            let end = input.chunks[link.span.end - 1].end
            let entity = try chooseEntity(link.payloads)
            mentions.append(EndToEndMention(start: start, end: end, surface: String(chars[start..<end]), entity: entity,
                                            confidence: Float(agreement[link] ?? 0)))
        }
        return EndToEndResult(mentions: mentions, logProb: best.logProb, candidateSpans: constraint.spanCount,
                              statistics: result.statistics)
    }

    /// The entity a written name stands for: NIL, or the most popular of the entities bearing it.
    private func chooseEntity(_ payloads: [UInt32]) throws -> LinkedEntity? {
        let ids = payloads.filter { $0 != LinkedEntity.nilPayload }.map { EntityID($0) }
        guard !ids.isEmpty else { return nil }
        let records = try store.entities(ids: ids).sorted { ($0.popularity ?? 0, $1.key) > ($1.popularity ?? 0, $0.key) }
        guard let record = records.first else { return nil }
        return LinkedEntity(entityID: record.id, key: record.key, name: record.name, score: 0, modelScore: 0, prior: nil)
    }
}

extension Comparable {
    fileprivate func clamped(to range: ClosedRange<Self>) -> Self { min(max(self, range.lowerBound), range.upperBound) }
}
