import XCTest
@testable import TrellisEval

final class MetricsTests: XCTestCase {
    func testNDCGAndRecallAndMRR() {
        let rel = ["a": 1, "c": 1]
        XCTAssertEqual(RetrievalMetrics.ndcg(ranked: ["a", "c", "b"], relevant: rel, k: 10), 1, accuracy: 1e-12)
        // a at rank 2, c absent: dcg = 1/log2(3); idcg = 1 + 1/log2(3)
        let expected = (1 / log2(3.0)) / (1 + 1 / log2(3.0))
        XCTAssertEqual(RetrievalMetrics.ndcg(ranked: ["b", "a"], relevant: rel, k: 10), expected, accuracy: 1e-12)
        XCTAssertEqual(RetrievalMetrics.ndcg(ranked: ["b", "a"], relevant: rel, k: 1), 0)
        XCTAssertEqual(RetrievalMetrics.recall(ranked: ["b", "a"], relevant: rel, k: 100), 0.5)
        XCTAssertEqual(RetrievalMetrics.mrr(ranked: ["b", "x", "c"], relevant: rel, k: 10), 1.0 / 3)
        XCTAssertEqual(RetrievalMetrics.mrr(ranked: ["b"], relevant: rel, k: 10), 0)
        XCTAssertEqual(RetrievalMetrics.ndcg(ranked: ["a"], relevant: [:], k: 10), 0)
    }

    func testBLEUIdentityAndZero() {
        let refs = [["the cat sat on the mat today"]]
        XCTAssertEqual(TextMetrics.corpusBLEU(hypotheses: ["The cat sat on the mat today."], references: refs), 1, accuracy: 1e-12)
        XCTAssertEqual(TextMetrics.corpusBLEU(hypotheses: ["dogs run"], references: refs), 0)
    }

    func testBLEUHandComputed() {
        // hyp "a b c d e", ref "a b c d f": p1 = 4/5, p2 = 3/4, p3 = 2/3, p4 = 1/2, same length.
        let bleu = TextMetrics.corpusBLEU(hypotheses: ["a b c d e"], references: [["a b c d f"]])
        let expected = exp((log(4.0 / 5) + log(3.0 / 4) + log(2.0 / 3) + log(1.0 / 2)) / 4)
        XCTAssertEqual(bleu, expected, accuracy: 1e-12)
        // Brevity: hyp of 4 words vs closest ref of 5 words.
        let short = TextMetrics.corpusBLEU(hypotheses: ["a b c d"], references: [["a b c d f"]])
        XCTAssertEqual(short, exp(1 - 5.0 / 4), accuracy: 1e-12)
    }

    func testCorpusBLEUAggregatesCountsOverSentencesAndReferences() {
        // Sentence 1 "the dog runs" (3 words, closest ref 3): 1-3-grams all match, no 4-gram.
        // Sentence 2 "a cat sleeps on the mat" (6 words, closest ref 6): "a" matches nothing;
        // matches 5/6, 4/5, 3/4, 2/3. Corpus: p1 = 8/9, p2 = 6/7, p3 = 4/5, p4 = 2/3, BP = 1.
        let bleu = TextMetrics.corpusBLEU(
            hypotheses: ["The dog runs.", "a cat sleeps on the mat"],
            references: [["the dog runs fast", "a dog runs"], ["The cat sleeps on the mat.", "cat on mat"]])
        let expected = exp((log(8.0 / 9) + log(6.0 / 7) + log(4.0 / 5) + log(2.0 / 3)) / 4)
        XCTAssertEqual(bleu, expected, accuracy: 1e-12)
        // Clipping takes the maximum count over references: "the" ×3 against max 2.
        let clipped = TextMetrics.corpusBLEU(hypotheses: ["the the the"], references: [["the cat", "the the dog"]], maxN: 1)
        XCTAssertEqual(clipped, 2.0 / 3, accuracy: 1e-12)
    }

    func testRougeL() {
        XCTAssertEqual(TextMetrics.rougeL(hypothesis: "a b c", references: ["a b c"]), 1, accuracy: 1e-12)
        // LCS("a x c", "a b c") = 2: P = R = 2/3 → F = 2/3 for any beta.
        XCTAssertEqual(TextMetrics.rougeL(hypothesis: "a x c", references: ["a b c", "z"]), 2.0 / 3, accuracy: 1e-12)
        XCTAssertEqual(TextMetrics.rougeL(hypothesis: "", references: ["a"]), 0)
        // "the dog runs" vs "a dog runs fast": LCS 2, P = 2/3, R = 2/4; β = 1.2:
        // F = (1 + β²)PR / (R + β²P).
        let (p, r, b2) = (2.0 / 3, 2.0 / 4, 1.44)
        XCTAssertEqual(TextMetrics.rougeL(hypothesis: "The dog runs", references: ["a dog runs fast"]),
                       (1 + b2) * p * r / (r + b2 * p), accuracy: 1e-12)
    }

    func testTokenizer() {
        XCTAssertEqual(TextMetrics.tokenize("The dog's frisbee, caught!"), ["the", "dog's", "frisbee", "caught", "!"])
    }
}
