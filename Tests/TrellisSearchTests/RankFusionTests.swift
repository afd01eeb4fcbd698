import TrellisSearch
import XCTest

final class RankFusionTests: XCTestCase {
    func testReciprocalRankFusionOrdersByReciprocalRanks() {
        let seal = [SearchHit(passageID: 1, score: 9), SearchHit(passageID: 2, score: 5), SearchHit(passageID: 3, score: 1)]
        let bm25 = [SearchHit(passageID: 3, score: 20), SearchHit(passageID: 2, score: 10), SearchHit(passageID: 4, score: 1)]
        let fused = RankFusion.fuse(seal: seal, bm25: bm25, method: .reciprocalRank(k: 60), limit: 10)
        // 2: 1/62 + 1/62; 1: 1/61; 3: 1/63 + 1/61; 4: 1/63.
        XCTAssertEqual(fused.map(\.passageID), [3, 2, 1, 4])
        XCTAssertEqual(fused[0].score, 1.0 / 63 + 1.0 / 61, accuracy: 1e-12)
        XCTAssertEqual(RankFusion.fuse(seal: seal, bm25: bm25, method: .reciprocalRank(k: 60), limit: 2).count, 2)
    }

    func testLinearFusionUsesMinMaxNormalizedScores() {
        let seal = [SearchHit(passageID: 1, score: 10), SearchHit(passageID: 2, score: 0)]
        let bm25 = [SearchHit(passageID: 2, score: 4), SearchHit(passageID: 3, score: 2), SearchHit(passageID: 1, score: 0)]
        // λ = 0.3: 1 → 0.3·1 + 0.7·0 = 0.3; 2 → 0 + 0.7·1 = 0.7; 3 → 0.7·0.5 = 0.35.
        let fused = RankFusion.fuse(seal: seal, bm25: bm25, method: .linear(sealWeight: 0.3), limit: 10)
        XCTAssertEqual(fused.map(\.passageID), [2, 3, 1])
        XCTAssertEqual(fused[1].score, 0.35, accuracy: 1e-12)
        // λ = 1: SEAL order only, BM25-only passages at 0 after.
        XCTAssertEqual(RankFusion.fuse(seal: seal, bm25: bm25, method: .linear(sealWeight: 1), limit: 10).first?.passageID, 1)
        XCTAssertTrue(RankFusion.fuse(seal: [], bm25: [], method: .linear(sealWeight: 0.5), limit: 10).isEmpty)
    }
}

final class WeightedFusionTests: XCTestCase {
    func testLinearFusionOfThreeListsWeighsNormalizedScores() {
        let a = [SearchHit(passageID: 1, score: 4), SearchHit(passageID: 2, score: 2), SearchHit(passageID: 3, score: 0)]
        let b = [SearchHit(passageID: 3, score: -1), SearchHit(passageID: 1, score: -3)]
        let c = [SearchHit(passageID: 2, score: 7)]
        // 1: 0.5·1 + 0.3·0 = 0.5; 2: 0.5·0.5 + 0.2·1 = 0.45; 3: 0 + 0.3·1 = 0.3.
        let fused = RankFusion.linear([(a, 0.5), (b, 0.3), (c, 0.2)], limit: 10)
        XCTAssertEqual(fused.map(\.passageID), [1, 2, 3])
        XCTAssertEqual(fused.map(\.score), [0.5, 0.45, 0.3], accuracy: 1e-12)
        // Two lists reproduce the two-list linear fusion.
        let two = RankFusion.fuse(seal: a, bm25: b, method: .linear(sealWeight: 0.4), limit: 10)
        let general = RankFusion.linear([(a, 0.4), (b, 0.6)], limit: 10)
        XCTAssertEqual(two.map(\.passageID), general.map(\.passageID))
        XCTAssertEqual(two.map(\.score), general.map(\.score), accuracy: 1e-12)
    }

    func testRerankHeadReordersOnlyTheHeadAndKeepsScoresSorted() {
        let first = (1...6).map { SearchHit(passageID: Int64($0), score: Double(10 - $0)) }
        let bm25 = first
        let rescored = [SearchHit(passageID: 1, score: -30), SearchHit(passageID: 2, score: -20), SearchHit(passageID: 3, score: -10)]
        // Likelihood only: the head 1, 2, 3 becomes 3, 2, 1; 4, 5, 6 follow unchanged.
        let onlyLikelihood = RankFusion.rerankHead(firstStage: first, depth: 3, lists: [(bm25, 0)], rescored: rescored,
                                                   rescoreWeight: 1, limit: 10)
        XCTAssertEqual(onlyLikelihood.map(\.passageID), [3, 2, 1, 4, 5, 6])
        XCTAssertEqual(onlyLikelihood.map(\.score), onlyLikelihood.map(\.score).sorted(by: >))
        // BM25 only (normalized over the head): the first-stage order stays.
        let onlyBM25 = RankFusion.rerankHead(firstStage: first, depth: 3, lists: [(bm25, 1)], rescored: rescored,
                                             rescoreWeight: 0, limit: 4)
        XCTAssertEqual(onlyBM25.map(\.passageID), [1, 2, 3, 4])
        // Equal weights: 1 → 0.5·1 + 0 = 0.5, 2 → 0.25 + 0.25 = 0.5, 3 → 0 + 0.5; ties by id.
        let mixed = RankFusion.rerankHead(firstStage: first, depth: 3, lists: [(bm25, 0.5)], rescored: rescored,
                                          rescoreWeight: 0.5, limit: 10)
        XCTAssertEqual(mixed.prefix(3).map(\.passageID), [1, 2, 3])
        XCTAssertEqual(RankFusion.rerankHead(firstStage: first, depth: 0, lists: [], rescored: [], rescoreWeight: 1, limit: 2).map(\.passageID), [1, 2])
    }

    /// z-score fusion of three lists equals a brute-force Σ w·(s − mean)/σ per list (absent = 0), on
    /// random lists; a constant list contributes 0 under z-score and 1 under min-max.
    func testZScoreFusionOfThreeListsMatchesBruteForce() {
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<50 {
            let lists: [[SearchHit]] = (0..<3).map { _ in
                Array(Set((0..<Int.random(in: 1...8, using: &rng)).map { _ in Int64.random(in: 1...10, using: &rng) }))
                    .map { SearchHit(passageID: $0, score: Double.random(in: -50...50, using: &rng)) }
            }
            let weights = [0.5, 0.2, 0.3]
            var expected: [Int64: Double] = [:]
            for (list, w) in zip(lists, weights) {
                let mean = list.map(\.score).reduce(0, +) / Double(list.count)
                let sd = (list.map { ($0.score - mean) * ($0.score - mean) }.reduce(0, +) / Double(list.count)).squareRoot()
                for h in list { expected[h.passageID, default: 0] += w * (sd > 0 ? (h.score - mean) / sd : 0) }
            }
            let fused = RankFusion.linear(Array(zip(lists, weights)).map { (hits: $0.0, weight: $0.1) }, limit: 100, normalization: .zScore)
            XCTAssertEqual(Set(fused.map(\.passageID)), Set(expected.keys))
            for h in fused { XCTAssertEqual(h.score, expected[h.passageID]!, accuracy: 1e-9) }
            XCTAssertEqual(fused.map(\.score), fused.map(\.score).sorted(by: >))
        }
        let constant = [SearchHit(passageID: 1, score: 3), SearchHit(passageID: 2, score: 3)]
        XCTAssertEqual(RankFusion.linear([(constant, 1)], limit: 10, normalization: .zScore).map(\.score), [0, 0], accuracy: 0)
        XCTAssertEqual(RankFusion.linear([(constant, 1)], limit: 10).map(\.score), [1, 1], accuracy: 0)
    }

    /// Under z-score the head is reordered by the standardized sum and still sits above the tail,
    /// even though standardized scores are negative.
    func testRerankHeadWithZScoreKeepsTheHeadAboveTheTail() {
        let first = (1...5).map { SearchHit(passageID: Int64($0), score: Double(10 - $0)) }
        let rescored = [SearchHit(passageID: 1, score: -9), SearchHit(passageID: 2, score: -1), SearchHit(passageID: 3, score: -5)]
        // BM25 over the head 9, 8, 7 → z (1.22, 0, −1.22); likelihood −9, −1, −5 → z (−1.22, 1.22, 0).
        // Weights 0.5/0.5: 1 → 0, 2 → 0.61, 3 → −0.61.
        let out = RankFusion.rerankHead(firstStage: first, depth: 3, lists: [(first, 0.5)], rescored: rescored,
                                        rescoreWeight: 0.5, limit: 10, normalization: .zScore)
        XCTAssertEqual(out.map(\.passageID), [2, 1, 3, 4, 5])
        XCTAssertEqual(out.map(\.score), out.map(\.score).sorted(by: >))
        XCTAssertGreaterThan(out[2].score, out[3].score)
        XCTAssertEqual(ScoreNormalization.zScore.normalized([]), [])
    }
}

private func XCTAssertEqual(_ a: [Double], _ b: [Double], accuracy: Double, file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.count, b.count, file: file, line: line)
    for (x, y) in zip(a, b) { XCTAssertEqual(x, y, accuracy: accuracy, file: file, line: line) }
}
