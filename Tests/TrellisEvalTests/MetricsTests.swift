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

    func testRougeL() {
        XCTAssertEqual(TextMetrics.rougeL(hypothesis: "a b c", references: ["a b c"]), 1, accuracy: 1e-12)
        // LCS("a x c", "a b c") = 2: P = R = 2/3 → F = 2/3 for any beta.
        XCTAssertEqual(TextMetrics.rougeL(hypothesis: "a x c", references: ["a b c", "z"]), 2.0 / 3, accuracy: 1e-12)
        XCTAssertEqual(TextMetrics.rougeL(hypothesis: "", references: ["a"]), 0)
    }

    func testTokenizer() {
        XCTAssertEqual(TextMetrics.tokenize("The dog's frisbee, caught!"), ["the", "dog's", "frisbee", "caught", "!"])
    }
}
