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
