import TrellisCore
import XCTest
@testable import TrellisFMIndex

final class WaveletMatrixTests: XCTestCase {
    /// Builds a matrix over `codes` in test-owned memory and hands it to `body`.
    private func withMatrix(_ codes: [Int32], codeCount: Int, _ body: (WaveletMatrix) -> Void) {
        let n = codes.count
        let levels = WaveletMatrix.levelCount(codeCount: codeCount)
        let wpl = RankBitVector.wordCount(bits: n), spl = RankBitVector.superblockCount(bits: n)
        var words = [UInt64](repeating: 0, count: levels * wpl)
        var supers = [UInt32](repeating: 0, count: levels * spl)
        var zeros = [Int32](repeating: 0, count: levels)
        var work = codes, scratch = codes
        words.withUnsafeMutableBufferPointer { w in supers.withUnsafeMutableBufferPointer { s in
            zeros.withUnsafeMutableBufferPointer { z in work.withUnsafeMutableBufferPointer { c in
                scratch.withUnsafeMutableBufferPointer { sc in
                    WaveletMatrix.build(codes: c, scratch: sc, levelCount: levels, words: w.baseAddress!,
                                        superblocks: s.baseAddress!, zeros: z.baseAddress!)
                }
            } }
        } }
        var bottom = [Int32](repeating: 0, count: codeCount)
        words.withUnsafeBufferPointer { w in supers.withUnsafeBufferPointer { s in zeros.withUnsafeBufferPointer { z in
            bottom.withUnsafeMutableBufferPointer { b in
                let probe = WaveletMatrix(length: n, levelCount: levels, wordsPerLevel: wpl, superblocksPerLevel: spl,
                                          words: w.baseAddress!, superblocks: s.baseAddress!, zeros: z.baseAddress!,
                                          bottomStart: UnsafePointer(b.baseAddress!))
                for c in 0..<codeCount { b[c] = Int32(probe.descend(code: c, from: 0)) }
                body(probe)
            }
        } } }
    }

    func testRankAccessAndDistinctAgainstBruteForce() {
        let seed = UInt64.random(in: 0...UInt64.max)
        var rng = SplitMix64(seed: seed)
        for round in 0..<60 {
            let codeCount = [1, 2, 5, 300, 1025][round % 5]
            let n = Int.random(in: 1...1500, using: &rng)
            let codes = (0..<n).map { _ in Int32.random(in: 0..<Int32(codeCount), using: &rng) }
            withMatrix(codes, codeCount: codeCount) { wm in
                for _ in 0..<50 {
                    let i = Int.random(in: 0...n, using: &rng)
                    let c = Int.random(in: 0..<codeCount, using: &rng)
                    let expected = codes[0..<i].filter { $0 == c }.count
                    XCTAssertEqual(wm.rank(code: c, i), expected, "seed \(seed) round \(round)")
                    if i < n {
                        let (code, rank) = wm.accessAndRank(i)
                        XCTAssertEqual(code, Int(codes[i]), "seed \(seed)")
                        XCTAssertEqual(rank, codes[0..<i].filter { $0 == codes[i] }.count, "seed \(seed)")
                    }
                    var a = Int.random(in: 0...n, using: &rng), b = Int.random(in: 0...n, using: &rng)
                    if a > b { swap(&a, &b) }
                    var expectedPairs: [Int: Int] = [:]
                    for x in codes[a..<b] { expectedPairs[Int(x), default: 0] += 1 }
                    var got: [(Int, Int)] = []
                    wm.forEachDistinct(a, b) { got.append(($0, $1)) }
                    XCTAssertEqual(got.map(\.0), expectedPairs.keys.sorted(), "seed \(seed) round \(round)")
                    XCTAssertEqual(got.map(\.1), expectedPairs.keys.sorted().map { expectedPairs[$0]! }, "seed \(seed)")
                }
            }
        }
    }
}
