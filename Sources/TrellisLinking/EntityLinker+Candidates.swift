import Foundation
import TrellisCore
import TrellisStore

/// Linking with candidate lists: exact model scores for every candidate, then ranking.
extension EntityLinker {
    /// Reads the document prefix (instructions + text, cut at `maxDocumentTokens`) into a new
    /// sequence that every mention forks. The caller releases it.
    func prepareDocument(_ text: String) throws -> SequenceID {
        var docTokens = tokenizer.encode(options.prompt.documentPrefix(text))
        if docTokens.count > options.maxDocumentTokens {
            docTokens = Array(docTokens.prefix(options.maxDocumentTokens)) + tokenizer.encode(" ...\n")
        }
        let document = try model.makeSequence()
        do {
            let scratch = LogitMatrix(rows: 1, width: model.vocabularySize)
            try model.extend([SequenceExtension(sequence: document, tokens: docTokens)], logits: scratch)
        } catch {
            model.release(document)
            throw error
        }
        return document
    }

    /// The evidence the ranker uses for each candidate of each span (same order as
    /// `candidates[i]`): exact model log-probabilities of the names, the list prior, the
    /// mention table's p(e|m) for the span's surface, and the title. A lone candidate is not
    /// scored (model log-probability 0): it wins whatever its score.
    public func scoreCandidates(text: String, spans: [MentionSpan], candidates: [[CandidateEntity]]) throws -> [[CandidateEvidence]] {
        let length = text.count
        for s in spans where s.start < 0 || s.end > length || s.start >= s.end {
            throw LinkingError.spanOutOfRange(start: s.start, end: s.end, length: length)
        }
        guard spans.count == candidates.count else {
            throw TrellisError.invalidArgument("\(spans.count) spans but \(candidates.count) candidate lists")
        }
        guard !spans.isEmpty else { return [] }
        let document = try prepareDocument(text)
        defer { model.release(document) }
        return try scoreCandidates(text: text, spans: spans, candidates: candidates, document: document)
    }

    /// Evidence with exact model scores read after `document`, or without the model (model
    /// log-probability 0 for every candidate) when `document` is nil.
    func scoreCandidates(text: String, spans: [MentionSpan], candidates: [[CandidateEntity]],
                         document: SequenceID?, scoresSpan: ((Int) -> Bool)? = nil) throws -> [[CandidateEvidence]] {
        guard let document else { return try candidateEvidence(text: text, spans: spans, candidates: candidates, modelScores: nil) }
        return try candidateEvidence(text: text, spans: spans, candidates: candidates, scoresSpan: scoresSpan) { requests in
            try CandidateNameScorer(model: self.model, statistics: self.statistics).score(document: document, requests: requests)
        }
    }

    /// Gathers names, runs `modelScores` (if any) on the scoring requests and assembles evidence.
    /// `scoresSpan` (default: all) says which spans the model scores; the others get model
    /// log-probability 0, as a lone candidate does.
    func candidateEvidence(text: String, spans: [MentionSpan], candidates: [[CandidateEntity]], scoresSpan: ((Int) -> Bool)? = nil,
                           modelScores: (([NameScoringRequest]) throws -> [[Float]])?) throws -> [[CandidateEvidence]] {
        let chars = Array(text)
        var requests: [NameScoringRequest] = []
        // Per span: for each name scored, the candidate entities bearing it.
        var bearers: [[[Int]]] = []
        var records: [[EntityRecord?]] = []
        var nameLengths: [[Int]] = []
        var unscored = [Bool](repeating: false, count: spans.count)
        for (s, (span, cands)) in zip(spans, candidates).enumerated() {
            unscored[s] = cands.count < 2 || modelScores == nil || !(scoresSpan?(s) ?? true)
            var names: [[TokenID]] = []
            var nameIndex: [[TokenID]: Int] = [:]
            var owners: [[Int]] = []
            var spanRecords: [EntityRecord?] = []
            var spanLengths: [Int] = []
            for (c, candidate) in cands.enumerated() {
                let record = try store.entity(id: candidate.entityID)
                spanRecords.append(record)
                spanLengths.append(record.map { tokenizer.encode(options.prompt.answerText($0.name)).count + 1 } ?? 1)
                for name in try store.names(ofEntity: candidate.entityID) {
                    let tokens = (name.tokens ?? tokenizer.encode(options.prompt.answerText(name.name))) + [endToken]
                    guard tokens.count > 1 else { continue }
                    if let k = nameIndex[tokens] {
                        if !owners[k].contains(c) { owners[k].append(c) }
                    } else {
                        nameIndex[tokens] = names.count
                        names.append(tokens)
                        owners.append([c])
                    }
                }
            }
            // A lone candidate wins whatever its score: spare the model (its model score is 0).
            if unscored[s] { names = []; owners = [] }
            let question = names.isEmpty ? [] : tokenizer.encode(options.prompt.question(text: text, span: span))
            requests.append(NameScoringRequest(question: question, names: names))
            bearers.append(owners)
            records.append(spanRecords)
            nameLengths.append(spanLengths)
        }
        let nameScores = try modelScores?(requests) ?? requests.map { _ in [] }

        var evidence: [[CandidateEvidence]] = []
        for (s, cands) in candidates.enumerated() {
            let surface = String(chars[spans[s].start..<spans[s].end])
            let table = try mentionTablePriors(surface: surface)
            // Names shared by several candidates are split between them by prior (as in beam mode).
            var logProb = [Float](repeating: unscored[s] ? 0 : -.infinity, count: cands.count)
            for (k, owners) in bearers[s].enumerated() {
                let total = owners.reduce(0.0) { $0 + max(cands[$1].prior, 0) + 1 }
                for c in owners {
                    let share = nameScores[s][k] + Float(log((max(cands[c].prior, 0) + 1) / total))
                    logProb[c] = logAddExp(logProb[c], share)
                }
            }
            evidence.append(cands.enumerated().map { c, candidate in
                CandidateEvidence(title: records[s][c]?.name ?? "", prior: candidate.prior, modelLogProb: logProb[c],
                                  nameTokens: nameLengths[s][c], tablePrior: table.map { $0[candidate.entityID] ?? 0 })
            })
        }
        return evidence
    }

    /// The candidates worth scoring (order kept): the union of the best `candidateShortlist`
    /// by mention-table p(e|m) (ties by prior) and the best as many by prior.
    public func shortlist(_ candidates: [CandidateEntity], surface: String) throws -> [CandidateEntity] {
        guard options.candidateShortlist > 0, candidates.count > options.candidateShortlist else { return candidates }
        return shortlist(candidates, tablePriors: try mentionTablePriors(surface: surface) ?? [:])
    }

    /// The same shortlist with p(e|m) given by the caller (e.g. an evaluation on training
    /// documents that must leave each document's own annotations out of the table).
    public func shortlist(_ candidates: [CandidateEntity], tablePriors table: [EntityID: Double]) -> [CandidateEntity] {
        let n = options.candidateShortlist
        guard n > 0, candidates.count > n else { return candidates }
        let byTable = candidates.indices.sorted {
            (table[candidates[$0].entityID] ?? 0, candidates[$0].prior, -$0) > (table[candidates[$1].entityID] ?? 0, candidates[$1].prior, -$1)
        }
        let byPrior = candidates.indices.sorted { (candidates[$0].prior, -$0) > (candidates[$1].prior, -$1) }
        let keep = Set(byTable.prefix(n)).union(byPrior.prefix(n))
        return candidates.indices.filter { keep.contains($0) }.map { candidates[$0] }
    }

    /// p(e|m) for `surface` from the store's mention table (priors normalized over the
    /// surface's entries); nil when the surface has no entry.
    func mentionTablePriors(surface: String) throws -> [EntityID: Double]? {
        let rows = try store.candidates(forSurface: surface)
        guard !rows.isEmpty else { return nil }
        let total = rows.reduce(0.0) { $0 + max($1.prior, 0) }
        guard total > 0 else { return nil }
        var out: [EntityID: Double] = [:]
        for r in rows { out[r.entityID, default: 0] += max(r.prior, 0) / total }
        return out
    }

    /// Ranks scored candidates: with a ranker its softmax log-probability, else the model score
    /// plus the weighted log prior share.
    func rankScored(_ evidence: [CandidateEvidence], candidates: [CandidateEntity], surface: String, topK: Int) throws -> [LinkedEntity] {
        let total = candidates.reduce(0) { $0 + max($1.prior, 0) + 1 }
        let scores: [Float]
        if let ranker = options.ranker {
            let raw = ranker.scores(CandidateFeatures.make(surface: surface, candidates: evidence))
            let top = raw.max() ?? 0
            let normalizer = top + log(raw.reduce(0) { $0 + exp($1 - top) })
            scores = raw.map { Float($0 - normalizer) }
        } else {
            scores = zip(evidence, candidates).map { e, c in
                e.modelLogProb + options.priorWeight * Float(log((max(c.prior, 0) + 1) / total))
            }
        }
        var best: [EntityID: LinkedEntity] = [:]
        let records = Dictionary(try store.entities(ids: candidates.map(\.entityID)).map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        for (c, candidate) in candidates.enumerated() {
            guard let record = records[candidate.entityID] else { continue }
            let entity = LinkedEntity(entityID: candidate.entityID, key: record.key, name: record.name, score: scores[c],
                                      modelScore: evidence[c].modelLogProb, prior: Float((max(candidate.prior, 0) + 1) / total))
            if let old = best[candidate.entityID], old.score >= entity.score { continue }
            best[candidate.entityID] = entity
        }
        let ranked = best.values.sorted { ($0.score, $1.key) > ($1.score, $0.key) }
        return Array(ranked.prefix(topK))
    }
}

@inline(__always)
func logAddExp(_ a: Float, _ b: Float) -> Float {
    if a == -.infinity { return b }
    if b == -.infinity { return a }
    let m = max(a, b)
    return m + logf(expf(a - m) + expf(b - m))
}
