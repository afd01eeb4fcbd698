import Foundation
import TrellisCore
import TrellisSearch
import XCTest

final class SEALScoringTests: XCTestCase {
    func testWeightFollowsTheFormulaOnHandValues() {
        // P(n|q) = 0.5, P(n) = 10/1000: log odds = log(0.5·0.99) − log(0.01·0.5) = log 99.
        let w1 = SEALScoring.weight(logProb: log(0.5), count: 10, tokenCount: 1000, alpha: 1)
        XCTAssertEqual(w1, log(99), accuracy: 1e-9)
        let w2 = SEALScoring.weight(logProb: log(0.5), count: 10, tokenCount: 1000, alpha: 2)
        XCTAssertEqual(w2, log(99) * log(99), accuracy: 1e-9)
        // Less likely under the query than in the corpus: clipped to 0.
        XCTAssertEqual(SEALScoring.weight(logProb: log(0.001), count: 10, tokenCount: 1000, alpha: 2), 0)
        // Absent n-gram or empty corpus: 0. Certain n-gram: finite.
        XCTAssertEqual(SEALScoring.weight(logProb: log(0.5), count: 0, tokenCount: 1000, alpha: 2), 0)
        XCTAssertEqual(SEALScoring.weight(logProb: log(0.5), count: 1, tokenCount: 0, alpha: 2), 0)
        XCTAssertTrue(SEALScoring.weight(logProb: 0, count: 1, tokenCount: 1000, alpha: 2).isFinite)
    }

    func testAggregationCountsDistinctNgramsWithCoveragePenalty() {
        let ngrams = [
            SEALNgram(tokens: [1, 2], logProb: 0, count: 1, weight: 3),
            SEALNgram(tokens: [2], logProb: 0, count: 1, weight: 2),
            SEALNgram(tokens: [5], logProb: 0, count: 1, weight: 1),
            SEALNgram(tokens: [7], logProb: 0, count: 1, weight: 0),
            SEALNgram(tokens: [2, 9], logProb: 0, count: 1, weight: 4),
        ]
        // [2, 9] (w 4) first, all new: 4. [1, 2] (w 3): token 2 covered → 1/2 fresh → 3·(0.5 + 0.5·0.5) = 2.25.
        // [2] (w 2) fully covered → 2·0.5 = 1. [5]: 1. [7] has weight 0: not counted. Duplicates count once.
        let matches = [SEALMatch(ngram: 0, offset: 0), SEALMatch(ngram: 1, offset: 1), SEALMatch(ngram: 1, offset: 4),
                       SEALMatch(ngram: 2, offset: 6), SEALMatch(ngram: 3, offset: 7), SEALMatch(ngram: 4, offset: 4)]
        let (score, counted) = SEALScoring.aggregate(matches: matches, ngrams: ngrams, coverageWeight: 0.5)
        XCTAssertEqual(score, 4 + 2.25 + 1 + 1, accuracy: 1e-12)
        XCTAssertEqual(counted.map(\.ngram), [4, 0, 1, 2])
        XCTAssertEqual(counted[2].offset, 1, "first listed offset of a repeated n-gram")
        // β = 0: plain sum of distinct weights.
        XCTAssertEqual(SEALScoring.aggregate(matches: matches, ngrams: ngrams, coverageWeight: 0).score, 10, accuracy: 1e-12)
        XCTAssertEqual(SEALScoring.aggregate(matches: [], ngrams: ngrams, coverageWeight: 0.5).score, 0)
    }

    func testExactMatchesAgreeWithBruteForce() {
        var rng = SplitMix64(seed: 7)
        for trial in 0..<200 {
            let tokens = (0..<Int(rng.next() % 30)).map { _ in TokenID(rng.next() % 4) }
            let ngrams = (0..<6).map { _ in
                SEALNgram(tokens: (0..<(1 + Int(rng.next() % 3))).map { _ in TokenID(rng.next() % 4) }, logProb: 0, count: 1, weight: 1)
            }
            let found = SEALScoring.matches(of: ngrams, in: tokens)
            for (g, n) in ngrams.enumerated() {
                let first = tokens.count >= n.tokens.count
                    ? (0...(tokens.count - n.tokens.count)).first { Array(tokens[$0..<$0 + n.tokens.count]) == n.tokens } : nil
                XCTAssertEqual(found.first { $0.ngram == g }?.offset, first, "seed 7 trial \(trial) n-gram \(g)")
            }
        }
    }
}
