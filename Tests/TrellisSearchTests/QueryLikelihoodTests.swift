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
}
