import Foundation
import TrellisCore

/// Settings of `QueryLikelihoodReranker`. Defaults chosen under the CPU budget of a full SciFact
/// train run (see BENCHMARKS.md, "Passage search"); the hybrid overrides the passage budgets
/// (`HybridConfiguration.likelihood`: 64 head + 64 tail tokens).
public struct QueryLikelihoodOptions: Sendable, Equatable {
    /// Passage tokens kept from the start (title, then text) before the query is scored.
    public var passageTokenBudget: Int = 96
    /// Passage tokens also kept from the end (where abstracts state their findings), after
    /// `passageGap`; 0 keeps the start only. A passage no longer than both budgets is kept whole.
    public var passageTailTokens: Int = 0
    /// Text between the kept start and the kept end of a long passage.
    public var passageGap: String = " ..."
    /// Distinct passage prompts prefilled together in one batched model call.
    public var batchSize: Int = 16
    /// Upper bound on the query rows of one all-position call (bounds the logit matrix:
    /// rows × vocabulary floats).
    public var maxQueryRowsPerCall: Int = 512
    /// Text before the passage tokens. Special tokens written in it (and in `querySuffix` and
    /// `passageGap`), such as the chat markers `<|im_start|>`, are encoded as control tokens.
    public var passagePrefix: String = "Passage:"
    /// Text between the passage and the query; the query follows after one space.
    public var querySuffix: String = "\nA claim supported or refuted by this passage:"

    public init() {}
}

/// One query–passage pair to score: the query text and the passage's indexed tokens.
public struct QueryPassagePair: Sendable, Equatable {
    public var query: String
    public var passage: [TokenID]
    public init(query: String, passage: [TokenID]) {
        self.query = query
        self.passage = passage
    }
}

/// Second-stage rescoring by query likelihood: score(p) = log P(query | prompt(p)) =
/// Σ_j log softmax(logits after prompt(p) + q_<j)[q_j], summed over the query's tokens, under the
/// language model (UPR: D. Sachan et al., "Improving Passage Retrieval with Zero-Shot Question
/// Generation", EMNLP 2022). The query is the same for every passage of one call, so the sum and
/// UPR's per-token mean rank alike.
///
/// The prompt is `[BOS] prefix · passage tokens (the first passageTokenBudget, optionally a gap and
/// the last passageTailTokens) · suffix`; the
/// passage tokens are the indexed ones (`PassageText.modelText`), so nothing is re-tokenized.
/// Pairs are grouped by prompt: each distinct prompt is prefilled once (batched, `batchSize`
/// prompts a call), its last logit row scores every pair's first query token, and every pair
/// then forks the prompt's sequence (the prefix cache is shared, not copied) and appends its
/// query in one batched all-position call (token by token without an `AllPositionLogitsModel`).
/// A passage that many queries rescore (common in an evaluation: SciFact's 809 train queries
/// have 16k BM25 top-20 pairs over only 4.4k passages) is thus prefilled once.
/// Cost: O(distinct prompts · prompt length + pairs · |query|) model rows, the output head only on
/// the prompts' last rows and the query rows, plus one log-softmax per such row.
/// Not thread-safe (drives one model).
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
    /// the prompt alone; an empty or blank query scores 0 everywhere.
    public func scores(query: String, passages: [[TokenID]]) throws -> [Double] {
        try scores(pairs: passages.map { QueryPassagePair(query: query, passage: $0) })
    }

    /// log P(query | passage) for each pair, in the order given; `progress(done, total)` is
    /// called after each group of prompts with the number of pairs scored so far.
    public func scores(pairs: [QueryPassagePair], progress: ((Int, Int) -> Void)? = nil) throws -> [Double] {
        guard options.passageTokenBudget >= 0, options.batchSize > 0, options.maxQueryRowsPerCall > 0 else {
            throw SearchError.invalidOption("query likelihood needs a token budget ≥ 0, a batch size > 0 and a row bound > 0")
        }
        var head: [TokenID] = []
        if tokenizer.addsBOS, let bos = tokenizer.bosTokenID { head.append(bos) }
        // The prompt texts may carry the model's chat markers (`<|im_start|>`): they become control
        // tokens. Passages are already token ids and queries are encoded as plain text.
        head += tokenizer.encode(options.passagePrefix, parseSpecial: true)
        let tail = tokenizer.encode(options.querySuffix, parseSpecial: true)
        let gap = tokenizer.encode(options.passageGap, parseSpecial: true)

        // Distinct queries are encoded once; pairs are grouped by prompt in first-seen order.
        var queryTokens: [String: [TokenID]] = [:]
        var prompts: [[TokenID]] = []
        var pairsOfPrompt: [[Int]] = []
        var promptIndex: [[TokenID]: Int] = [:]
        for (i, pair) in pairs.enumerated() {
            if queryTokens[pair.query] == nil {
                let blank = pair.query.allSatisfy(\.isWhitespace)
                queryTokens[pair.query] = blank ? [] : tokenizer.encode(" " + pair.query)
            }
            guard !queryTokens[pair.query]!.isEmpty else { continue }
            let prompt = head + kept(pair.passage, gap: gap) + tail
            guard !prompt.isEmpty else { throw SearchError.invalidOption("the rescoring prompt of an empty passage is empty") }
            if let p = promptIndex[prompt] {
                pairsOfPrompt[p].append(i)
            } else {
                promptIndex[prompt] = prompts.count
                prompts.append(prompt)
                pairsOfPrompt.append([i])
            }
        }
        var result = Array(repeating: 0.0, count: pairs.count)
        var done = pairs.count - pairsOfPrompt.reduce(0) { $0 + $1.count }
        var start = 0
        while start < prompts.count {
            let end = min(prompts.count, start + options.batchSize)
            let group = (start..<end).map { (prompt: prompts[$0], pairs: pairsOfPrompt[$0].map { ($0, queryTokens[pairs[$0].query]!) }) }
            try scoreGroup(group, into: &result)
            done += group.reduce(0) { $0 + $1.pairs.count }
            progress?(done, pairs.count)
            start = end
        }
        return result
    }

    /// The passage tokens the prompt keeps: the first `passageTokenBudget`, then (for a longer
    /// passage with a tail budget) the gap and the last `passageTailTokens`.
    func kept(_ passage: [TokenID], gap: [TokenID]) -> [TokenID] {
        let headCount = options.passageTokenBudget, tailCount = max(options.passageTailTokens, 0)
        guard tailCount > 0 else { return Array(passage.prefix(headCount)) }
        guard passage.count > headCount + tailCount else { return passage }
        return Array(passage.prefix(headCount)) + gap + passage.suffix(tailCount)
    }

    /// Prefills the group's prompts together, then scores each prompt's queries on forks of it.
    private func scoreGroup(_ group: [(prompt: [TokenID], pairs: [(index: Int, query: [TokenID])])], into result: inout [Double]) throws {
        var parents: [SequenceID] = []
        defer { for s in parents { model.release(s) } }
        for _ in group { parents.append(try model.makeSequence()) }
        try model.extend(zip(parents, group).map { SequenceExtension(sequence: $0, tokens: $1.prompt) }, logits: logits)
        // The prompt's last row scores every pair's first query token.
        var pending: [(parent: SequenceID, index: Int, query: [TokenID])] = []
        for (g, entry) in group.enumerated() {
            let normalizer = Self.logSumExp(logits.row(g))
            for (index, query) in entry.pairs {
                result[index] = Double(logits.row(g)[Int(query[0])]) - normalizer
                if query.count > 1 { pending.append((parents[g], index, query)) }
            }
        }
        // The rest of each query on a fork, in calls of at most maxQueryRowsPerCall rows.
        var chunk: [(parent: SequenceID, index: Int, query: [TokenID])] = []
        var rows = 0
        for item in pending {
            if !chunk.isEmpty, rows + item.query.count - 1 > options.maxQueryRowsPerCall {
                try scoreForks(chunk, into: &result)
                chunk.removeAll(keepingCapacity: true)
                rows = 0
            }
            chunk.append(item)
            rows += item.query.count - 1
        }
        if !chunk.isEmpty { try scoreForks(chunk, into: &result) }
    }

    /// Adds Σ_{j ≥ 1} log P(q_j | prompt, q_<j) for each item, each on its own fork of the prompt.
    private func scoreForks(_ items: [(parent: SequenceID, index: Int, query: [TokenID])], into result: inout [Double]) throws {
        var forks: [SequenceID] = []
        defer { for s in forks { model.release(s) } }
        for item in items { forks.append(try model.fork(item.parent)) }
        if let allRows = model as? any AllPositionLogitsModel {
            try allRows.extendReturningAllLogits(zip(forks, items).map { SequenceExtension(sequence: $0, tokens: Array($1.query.dropLast())) },
                                                 logits: logits)
            var row = 0
            for item in items {
                for j in 1..<item.query.count {
                    result[item.index] += Self.logSoftmax(logits.row(row), at: item.query[j])
                    row += 1
                }
            }
            return
        }
        // Token by token: queries of different lengths drop out as they finish.
        let longest = items.map(\.query.count).max() ?? 0
        guard longest > 1 else { return }
        for j in 1..<longest {
            let active = items.indices.filter { items[$0].query.count > j }
            try model.extend(active.map { SequenceExtension(sequence: forks[$0], tokens: [items[$0].query[j - 1]]) }, logits: logits)
            for (r, i) in active.enumerated() { result[items[i].index] += Self.logSoftmax(logits.row(r), at: items[i].query[j]) }
        }
    }

    /// log Σ exp(row), computed stably (max subtracted). O(width), no allocation.
    static func logSumExp(_ row: UnsafeMutableBufferPointer<Float>) -> Double {
        var peak = -Float.infinity
        for v in row where v > peak { peak = v }
        guard peak.isFinite else { return .infinity }
        var sum: Float = 0
        for v in row { sum += expf(v - peak) }
        return Double(peak) + Double(logf(sum))
    }

    /// log softmax(row)[token]. O(width), no allocation.
    static func logSoftmax(_ row: UnsafeMutableBufferPointer<Float>, at token: TokenID) -> Double {
        Double(row[Int(token)]) - logSumExp(row)
    }
}
