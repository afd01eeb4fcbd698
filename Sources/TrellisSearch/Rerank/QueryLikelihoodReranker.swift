import Foundation
import TrellisCore

/// Settings of `QueryLikelihoodReranker`. Defaults chosen under the CPU budget of a full SciFact
/// train run (see BENCHMARKS.md, "Passage search").
public struct QueryLikelihoodOptions: Sendable, Equatable {
    /// Passage tokens kept (from the start: title, then text) before the query is scored.
    public var passageTokenBudget: Int = 96
    /// Passages extended together in one batched model call.
    public var batchSize: Int = 16
    /// Text before the passage tokens.
    public var passagePrefix: String = "Passage:"
    /// Text between the passage and the query; the query follows after one space.
    public var querySuffix: String = "\nA claim supported or refuted by this passage:"

    public init() {}
}

/// Second-stage rescoring by query likelihood: score(p) = log P(query | prompt(p)) =
/// Σ_j log softmax(logits after prompt(p) + q_<j)[q_j], summed over the query's tokens, under the
/// language model (UPR: D. Sachan et al., "Improving Passage Retrieval with Zero-Shot Question
/// Generation", EMNLP 2022). The query is the same for every passage of one call, so the sum and
/// UPR's per-token mean rank alike.
///
/// The prompt is `[BOS] prefix · passage tokens (at most passageTokenBudget) · suffix`; the
/// passage tokens are the indexed ones (`PassageText.modelText`), so nothing is re-tokenized.
/// Each batch of passages costs two model calls: one batched `extend` of the prompts (whose last
/// rows score the first query token) and, with an `AllPositionLogitsModel`, one batched call with
/// every logit row over the query's remaining tokens (otherwise one call per query token).
/// Cost: O(passages · (budget + |prefix| + |suffix| + |query|)) model rows plus
/// O(passages · |query| · vocabulary) for the log-softmax. Not thread-safe (drives one model).
public final class QueryLikelihoodReranker {
    public let model: any NextTokenModel
    public let tokenizer: any TextTokenizer
    public var options: QueryLikelihoodOptions
    private let logits: LogitMatrix

    public init(model: any NextTokenModel, tokenizer: any TextTokenizer, options: QueryLikelihoodOptions = QueryLikelihoodOptions()) {
        self.model = model
        self.tokenizer = tokenizer
        self.options = options
        self.logits = LogitMatrix(rows: 0, width: model.vocabularySize)
    }

    /// log P(query | passage) for each passage, in the order given. Empty passages are scored on
    /// the prompt alone; an empty query scores 0 everywhere.
    public func scores(query: String, passages: [[TokenID]]) throws -> [Double] {
        guard options.passageTokenBudget >= 0, options.batchSize > 0 else {
            throw SearchError.invalidOption("query likelihood needs a token budget ≥ 0 and a batch size > 0")
        }
        let queryTokens = tokenizer.encode(" " + query)
        guard !queryTokens.isEmpty, !passages.isEmpty else { return Array(repeating: 0, count: passages.count) }
        var head: [TokenID] = []
        if tokenizer.addsBOS, let bos = tokenizer.bosTokenID { head.append(bos) }
        head += tokenizer.encode(options.passagePrefix)
        let tail = tokenizer.encode(options.querySuffix)
        var result: [Double] = []
        result.reserveCapacity(passages.count)
        var start = 0
        while start < passages.count {
            let end = min(passages.count, start + options.batchSize)
            let prompts = passages[start..<end].map { head + $0.prefix(options.passageTokenBudget) + tail }
            result += try scoreBatch(prompts: prompts, query: queryTokens)
            start = end
        }
        return result
    }

    private func scoreBatch(prompts: [[TokenID]], query: [TokenID]) throws -> [Double] {
        var sequences: [SequenceID] = []
        defer { for s in sequences { model.release(s) } }
        for _ in prompts { sequences.append(try model.makeSequence()) }
        var totals = Array(repeating: 0.0, count: prompts.count)

        try model.extend(zip(sequences, prompts).map { SequenceExtension(sequence: $0, tokens: $1) }, logits: logits)
        for i in prompts.indices { totals[i] += Self.logSoftmax(logits.row(i), at: query[0]) }
        guard query.count > 1 else { return totals }

        let forced = Array(query.dropLast())
        if let allRows = model as? any AllPositionLogitsModel {
            try allRows.extendReturningAllLogits(sequences.map { SequenceExtension(sequence: $0, tokens: forced) }, logits: logits)
            for i in prompts.indices {
                for j in 1..<query.count {
                    totals[i] += Self.logSoftmax(logits.row(i * forced.count + j - 1), at: query[j])
                }
            }
        } else {
            for j in 1..<query.count {
                try model.extend(sequences.map { SequenceExtension(sequence: $0, tokens: [query[j - 1]]) }, logits: logits)
                for i in prompts.indices { totals[i] += Self.logSoftmax(logits.row(i), at: query[j]) }
            }
        }
        return totals
    }

    /// log softmax(row)[token], computed stably (max subtracted). O(width), no allocation.
    static func logSoftmax(_ row: UnsafeMutableBufferPointer<Float>, at token: TokenID) -> Double {
        var peak = -Float.infinity
        for v in row where v > peak { peak = v }
        guard peak.isFinite else { return -.infinity }
        var sum: Float = 0
        for v in row { sum += expf(v - peak) }
        return Double(row[Int(token)] - peak) - Double(logf(sum))
    }
}
