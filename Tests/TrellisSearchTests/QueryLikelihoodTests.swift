import TrellisCore
import TrellisSearch
import TrellisTestSupport
import XCTest

/// A bigram "induction" model: after token t it strongly predicts whatever followed the latest
/// earlier occurrence of t in the sequence, so a query is likely after a passage that contains it.
private final class CopyingModel: NextTokenModel {
    let vocabularySize = 256
    let contextLength = 4096
    private var histories: [Int: [TokenID]] = [:]
    private var next = 0

    func makeSequence() throws -> SequenceID { next += 1; histories[next] = []; return SequenceID(rawValue: next) }
    func fork(_ parent: SequenceID) throws -> SequenceID {
        next += 1
        histories[next] = histories[parent.rawValue]
        return SequenceID(rawValue: next)
    }
    func release(_ sequence: SequenceID) { histories[sequence.rawValue] = nil }
    func length(of sequence: SequenceID) -> Int { histories[sequence.rawValue]?.count ?? 0 }
    func extend(_ requests: [SequenceExtension], logits: LogitMatrix) throws {
        logits.resize(rows: requests.count)
        for (i, r) in requests.enumerated() {
            let h = histories[r.sequence.rawValue]! + r.tokens
            histories[r.sequence.rawValue] = h
            let row = logits.row(i)
            for t in 0..<vocabularySize { row[t] = 0 }
            if let j = h.dropLast().lastIndex(of: h.last!) { row[Int(h[j + 1])] = 6 }
        }
    }
}

final class QueryLikelihoodTests: XCTestCase {
    func testPassageContainingTheQueryRanksFirst() throws {
        let tokenizer = ByteTokenizer()
        let reranker = QueryLikelihoodReranker(model: CopyingModel(), tokenizer: tokenizer)
        let passages = ["dogs bark loudly at night", "the vaccine reduced mortality in older adults", "rivers flow to the sea"]
        let scores = try reranker.scores(query: "vaccine reduced mortality", passages: passages.map { tokenizer.encode(" " + $0) })
        XCTAssertEqual(scores.count, 3)
        XCTAssertEqual(scores.indices.max { scores[$0] < scores[$1] }, 1)
        XCTAssertGreaterThan(scores[1] - max(scores[0], scores[2]), 3, "a clear margin, not a tie")
    }

    /// Scores equal a brute-force Σ log p of the query after the documented prompt, on both the
    /// all-rows path and the token-by-token path, across batch boundaries and truncation.
    func testScoresEqualBruteForceQueryLogProbability() throws {
        let tokenizer = ByteTokenizer()
        let toy = ToyModel(vocabularySize: 256, salt: 5)
        var options = QueryLikelihoodOptions()
        options.passageTokenBudget = 6
        options.batchSize = 2
        options.passagePrefix = "P:"
        options.querySuffix = "\nQ:"
        let passages: [[TokenID]] = [tokenizer.encode(" short"), tokenizer.encode(" a longer passage here"), [], tokenizer.encode(" xyz")]
        let query = "ab c"
        let fast = try QueryLikelihoodReranker(model: toy, tokenizer: tokenizer, options: options).scores(query: query, passages: passages)
        let slow = try QueryLikelihoodReranker(model: LastRowToyModel(ToyModel(vocabularySize: 256, salt: 5)), tokenizer: tokenizer, options: options)
            .scores(query: query, passages: passages)
        for (i, p) in passages.enumerated() {
            let prompt = tokenizer.encode("P:") + p.prefix(6) + tokenizer.encode("\nQ:")
            let expected = toy.logProb(of: tokenizer.encode(" " + query), after: prompt)
            XCTAssertEqual(fast[i], expected, accuracy: 1e-3, "passage \(i)")
            XCTAssertEqual(slow[i], expected, accuracy: 1e-3, "passage \(i), token by token")
        }
        XCTAssertEqual(toy.liveSequences, 0, "every sequence is released")
        XCTAssertEqual(toy.allLogitsCalls, 2, "one all-rows call per batch of two")
        XCTAssertEqual(try QueryLikelihoodReranker(model: toy, tokenizer: tokenizer).scores(query: "q", passages: []), [])
    }

    /// Pairs of several queries over shared passages: each distinct prompt is prefilled once, the
    /// queries run on forks, and every score equals the brute-force log-probability, on the
    /// all-rows path (split by the row bound) and the token-by-token path (queries of unequal length).
    func testPairsShareEachPassagePrefillAndMatchBruteForce() throws {
        let tokenizer = ByteTokenizer()
        var options = QueryLikelihoodOptions()
        options.passageTokenBudget = 5
        options.batchSize = 2
        options.maxQueryRowsPerCall = 6
        options.passagePrefix = "P:"
        options.querySuffix = "\nQ:"
        let passages: [[TokenID]] = [tokenizer.encode(" alpha"), tokenizer.encode(" beta gamma"), [], tokenizer.encode(" delta")]
        let queries = ["xy", "a longer one", "z"]
        var pairs: [QueryPassagePair] = []
        for (qi, q) in queries.enumerated() {
            for (pi, p) in passages.enumerated() where (qi + pi) % 3 != 2 { pairs.append(QueryPassagePair(query: q, passage: p)) }
        }
        pairs.append(QueryPassagePair(query: "", passage: passages[0]))
        let toy = ToyModel(vocabularySize: 256, salt: 9)
        let grouped = try QueryLikelihoodReranker(model: toy, tokenizer: tokenizer, options: options).scores(pairs: pairs)
        let stepwiseModel = LastRowToyModel(ToyModel(vocabularySize: 256, salt: 9))
        let stepwise = try QueryLikelihoodReranker(model: stepwiseModel, tokenizer: tokenizer, options: options).scores(pairs: pairs)
        for (i, pair) in pairs.enumerated() {
            let prompt = tokenizer.encode("P:") + pair.passage.prefix(5) + tokenizer.encode("\nQ:")
            let expected = pair.query.isEmpty ? 0 : toy.logProb(of: tokenizer.encode(" " + pair.query), after: prompt)
            XCTAssertEqual(grouped[i], expected, accuracy: 1e-3, "pair \(i)")
            XCTAssertEqual(stepwise[i], expected, accuracy: 1e-3, "pair \(i), token by token")
        }
        // Appended tokens: each of the 4 distinct prompts once, plus |q| − 1 per scored pair.
        let promptTokens = passages.map { tokenizer.encode("P:").count + $0.prefix(5).count + tokenizer.encode("\nQ:").count }.reduce(0, +)
        let queryTokens = pairs.filter { !$0.query.isEmpty }.map { tokenizer.encode(" " + $0.query).count - 1 }.reduce(0, +)
        XCTAssertEqual(toy.appendedTokens, promptTokens + queryTokens)
        XCTAssertGreaterThan(toy.allLogitsCalls, 2, "the row bound of 6 splits the query calls")
        XCTAssertEqual(toy.liveSequences, 0, "every parent and fork is released")
        XCTAssertEqual(stepwiseModel.inner.liveSequences, 0)
        XCTAssertEqual(toy.invalidReleases, 0)
    }

    /// With a tail budget a long passage keeps its start, the gap and its end; a short one is whole.
    func testTailBudgetKeepsStartGapAndEnd() throws {
        let tokenizer = ByteTokenizer()
        var options = QueryLikelihoodOptions()
        options.passageTokenBudget = 3
        options.passageTailTokens = 2
        options.passageGap = "~"
        options.passagePrefix = "P:"
        options.querySuffix = "|"
        let toy = ToyModel(vocabularySize: 256, salt: 3)
        let long = tokenizer.encode("abcdefgh"), short = tokenizer.encode("abcde")
        let scores = try QueryLikelihoodReranker(model: toy, tokenizer: tokenizer, options: options).scores(query: "qq", passages: [long, short])
        let query = tokenizer.encode(" qq")
        XCTAssertEqual(scores[0], toy.logProb(of: query, after: tokenizer.encode("P:abc~gh|")), accuracy: 1e-3)
        XCTAssertEqual(scores[1], toy.logProb(of: query, after: tokenizer.encode("P:abcde|")), accuracy: 1e-3)
    }

    /// Chat markers written in the prompt texts become control tokens; the same marker inside the
    /// query stays plain text.
    func testPromptTextsParseSpecialTokensButQueriesDoNot() throws {
        let tokenizer = MarkerTokenizer()
        var options = QueryLikelihoodOptions()
        options.passagePrefix = "<|u|>P:"
        options.querySuffix = "<|a|>"
        let toy = ToyModel(vocabularySize: 258, salt: 7)
        let passage = tokenizer.encode(" text")
        let scores = try QueryLikelihoodReranker(model: toy, tokenizer: tokenizer, options: options)
            .scores(query: "q<|a|>", passages: [passage])
        let prompt = [TokenID(256)] + tokenizer.encode("P:") + passage.prefix(96) + [TokenID(257)]
        XCTAssertEqual(scores[0], toy.logProb(of: tokenizer.encode(" q<|a|>"), after: prompt), accuracy: 1e-3)
    }
}

/// Bytes, plus two markers that become ids 256 ("<|u|>") and 257 ("<|a|>") only when special
/// tokens are parsed.
private struct MarkerTokenizer: TextTokenizer {
    var vocabularySize: Int { 258 }
    var bosTokenID: TokenID? { nil }
    var eosTokenID: TokenID? { nil }
    var addsBOS: Bool { false }
    func encode(_ text: String, parseSpecial: Bool) -> [TokenID] {
        guard parseSpecial else { return text.utf8.map { TokenID($0) } }
        var out: [TokenID] = []
        var rest = Substring(text)
        while !rest.isEmpty {
            if rest.hasPrefix("<|u|>") { out.append(256); rest = rest.dropFirst(5) }
            else if rest.hasPrefix("<|a|>") { out.append(257); rest = rest.dropFirst(5) }
            else { out += String(rest.first!).utf8.map { TokenID($0) }; rest = rest.dropFirst() }
        }
        return out
    }
    func tokenBytes(_ token: TokenID) -> [UInt8] { token < 256 && token >= 0 ? [UInt8(token)] : [] }
    func isSpecial(_ token: TokenID) -> Bool { token >= 256 }
}
