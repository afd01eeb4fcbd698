import Foundation
import TrellisCore
import XCTest
@testable import TrellisFMIndex

final class WaveletMatrixTests: XCTestCase {
    /// Builds a Huffman-shaped matrix over `codes` (values in `0..<codeCount`) in test-owned
    /// memory and hands it and its shape to `body`.
    private func withMatrix(_ codes: [Int32], codeCount: Int, maxCodeLength: Int = 32,
                            _ body: (WaveletMatrix, WaveletMatrixShape) -> Void) {
        var frequencies = [Int](repeating: 0, count: codeCount)
        for c in codes { frequencies[Int(c)] += 1 }
        let shape = WaveletMatrixShape(frequencies: frequencies, maxCodeLength: maxCodeLength)
        var words = [UInt64](repeating: 0, count: max(shape.wordCount, 1))
        var supers = [UInt32](repeating: 0, count: max(shape.superblockCount, 1))
        var work = codes, scratch = codes
        words.withUnsafeMutableBufferPointer { w in supers.withUnsafeMutableBufferPointer { s in
            work.withUnsafeMutableBufferPointer { c in scratch.withUnsafeMutableBufferPointer { sc in
                WaveletMatrix.build(codes: c, scratch: sc, shape: shape, words: w.baseAddress!, superblocks: s.baseAddress!)
            } }
        } }
        words.withUnsafeBufferPointer { w in supers.withUnsafeBufferPointer { s in
            body(WaveletMatrix(length: codes.count, shape: shape, words: w.baseAddress!, superblocks: s.baseAddress!), shape)
        } }
    }

    /// Random sequences: uniform, Zipf-skewed, a single symbol, and alphabets with unused codes.
    private func randomCodes(_ rng: inout SplitMix64, round: Int) -> (codes: [Int32], codeCount: Int) {
        let codeCount = [1, 2, 3, 5, 300, 1025][round % 6]
        let n = Int.random(in: 0...1500, using: &rng)
        switch round % 4 {
        case 0:  // uniform
            return ((0..<n).map { _ in Int32.random(in: 0..<Int32(codeCount), using: &rng) }, codeCount)
        case 1:  // Zipf-like: P(c) ∝ 1/(c+1), via a table of cumulative weights
            var cdf: [Double] = []
            var total = 0.0
            for c in 0..<codeCount { total += 1 / Double(c + 1); cdf.append(total) }
            let codes = (0..<n).map { _ -> Int32 in
                let u = Double.random(in: 0..<total, using: &rng)
                return Int32(cdf.firstIndex { $0 > u } ?? codeCount - 1)
            }
            return (codes, codeCount)
        case 2:  // one symbol, somewhere in a larger alphabet
            let c = Int32.random(in: 0..<Int32(codeCount), using: &rng)
            return ([Int32](repeating: c, count: n), codeCount)
        default:  // geometric skew: deep, unbalanced trees
            let codes = (0..<n).map { _ -> Int32 in
                var c: Int32 = 0
                while c < Int32(codeCount - 1) && Bool.random(using: &rng) { c += 1 }
                return c
            }
            return (codes, codeCount)
        }
    }

    func testRankAccessAndDistinctAgainstBruteForce() {
        let seed = UInt64.random(in: 0...UInt64.max)
        var rng = SplitMix64(seed: seed)
        for round in 0..<96 {
            let (codes, codeCount) = randomCodes(&rng, round: round)
            let n = codes.count
            // Every third round caps code lengths just above log2 σ, forcing the length cap.
            var cap = 32
            if round % 3 == 2 { cap = 1; while 1 << cap < codeCount { cap += 1 }; cap += 1 }
            withMatrix(codes, codeCount: codeCount, maxCodeLength: cap) { wm, shape in
                XCTAssertLessThanOrEqual(shape.levelCount, cap)
                for _ in 0..<40 {
                    let i = Int.random(in: 0...n, using: &rng)
                    let c = Int.random(in: 0..<codeCount, using: &rng)
                    let expected = codes[0..<i].filter { $0 == c }.count
                    XCTAssertEqual(wm.rank(code: c, i), expected, "seed \(seed) round \(round)")
                    if i < n {
                        let (code, rank) = wm.accessAndRank(i)
                        XCTAssertEqual(code, Int(codes[i]), "seed \(seed) round \(round)")
                        XCTAssertEqual(rank, codes[0..<i].filter { $0 == codes[i] }.count, "seed \(seed)")
                    }
                    var a = Int.random(in: 0...n, using: &rng), b = Int.random(in: 0...n, using: &rng)
                    if a > b { swap(&a, &b) }
                    let inRange = codes[a..<b].filter { $0 == c }.count
                    if wm.occurs(c), let (lo, hi) = wm.rankRange(code: c, a, b) {
                        XCTAssertEqual(lo, codes[0..<a].filter { $0 == c }.count, "seed \(seed) round \(round)")
                        XCTAssertEqual(hi - lo, inRange, "seed \(seed) round \(round)")
                    } else {
                        XCTAssertEqual(inRange, 0, "seed \(seed) round \(round)")
                    }
                    var expectedPairs: [Int: Int] = [:]
                    for x in codes[a..<b] { expectedPairs[Int(x), default: 0] += 1 }
                    var got: [Int: Int] = [:]
                    wm.forEachDistinct(a, b) { code, count in
                        XCTAssertNil(got[code], "code \(code) listed twice, seed \(seed)")
                        got[code] = count
                    }
                    XCTAssertEqual(got, expectedPairs, "seed \(seed) round \(round)")
                }
            }
        }
    }

    func testShapeIsHuffmanWithLeavesLastAndPrefixFree() {
        let seed = UInt64.random(in: 0...UInt64.max)
        var rng = SplitMix64(seed: seed)
        for round in 0..<200 {
            let symbols = Int.random(in: 1...40, using: &rng)
            let frequencies = (0..<symbols).map { _ in
                Bool.random(using: &rng) ? 0 : Int.random(in: 1...(round % 2 == 0 ? 5 : 100_000), using: &rng)
            }
            let shape = WaveletMatrixShape(frequencies: frequencies)
            let present = frequencies.indices.filter { frequencies[$0] > 0 }
            // Kraft equality (a full tree) and the Huffman cost, against a brute-force Huffman merge.
            var kraft = 0.0, cost = 0
            for s in present {
                let l = Int(shape.codeLengths[s])
                kraft += 1 / Double(1 << l)
                cost += frequencies[s] * l
            }
            if present.count > 1 { XCTAssertEqual(kraft, 1, accuracy: 1e-12, "seed \(seed) round \(round)") }
            var pool = present.map { frequencies[$0] }
            var expectedCost = 0
            while pool.count > 1 {
                pool.sort(by: >)
                let merged = pool.removeLast() + pool.removeLast()
                expectedCost += merged
                pool.append(merged)
            }
            XCTAssertEqual(cost, expectedCost, "Huffman cost, seed \(seed) round \(round)")
            // Codes are prefix-free (read from bit 0 up).
            for a in present { for b in present where a != b {
                let la = Int(shape.codeLengths[a]), lb = Int(shape.codeLengths[b])
                if la <= lb {
                    XCTAssertGreaterThan(la, 0, "a zero-length code only when one symbol occurs")
                    let mask: UInt32 = la == 32 ? .max : (1 << UInt32(la)) - 1
                    XCTAssertNotEqual(shape.codes[a] & mask, shape.codes[b] & mask, "\(a) prefixes \(b), seed \(seed)")
                }
            } }
            for s in frequencies.indices where frequencies[s] == 0 {
                XCTAssertEqual(shape.codeLengths[s], HuffmanCodeLengths.absent)
            }
            // Levels shrink (each is a prefix of the previous order) and total Σ f·|code| bits.
            var bits = 0
            for d in 0..<shape.levelCount {
                bits += shape.levels[d].length
                if d > 0 { XCTAssertLessThanOrEqual(shape.levels[d].length, shape.levels[d - 1].length) }
            }
            XCTAssertEqual(bits, cost, "seed \(seed) round \(round)")
        }
    }

    func testLengthCapKeepsACompleteCode() {
        // Fibonacci frequencies make Huffman depth σ − 1; the cap brings it to 32 and keeps the
        // Kraft sum exactly 1 (counted in units of 2^-32), so the leaves-last shape exists.
        var fibonacci = [1, 1]
        while fibonacci.count < 45 { fibonacci.append(fibonacci[fibonacci.count - 1] + fibonacci[fibonacci.count - 2]) }
        let uncapped = HuffmanCodeLengths.compute(frequencies: fibonacci, maxLength: 64)
        XCTAssertEqual(uncapped.map(Int.init).max(), 44)
        for limit in [6, 10, 32] {
            let lengths = HuffmanCodeLengths.compute(frequencies: fibonacci, maxLength: limit)
            XCTAssertEqual(lengths.map(Int.init).max(), limit)
            XCTAssertEqual(lengths.reduce(0) { $0 + (1 << (limit - Int($1))) }, 1 << limit, "limit \(limit)")
        }
        let shape = WaveletMatrixShape(frequencies: fibonacci)
        XCTAssertEqual(shape.levelCount, 32)
        XCTAssertEqual(shape.levels[32].internalNodes, 0, "a full tree")
    }

    func testEmptyAndSingleSymbolSequences() {
        withMatrix([], codeCount: 3) { wm, shape in
            XCTAssertEqual(shape.levelCount, 0)
            XCTAssertEqual(wm.rank(code: 1, 0), 0)
            wm.forEachDistinct(0, 0) { _, _ in XCTFail("nothing to list") }
        }
        withMatrix([2, 2, 2, 2], codeCount: 3) { wm, shape in
            XCTAssertEqual(shape.levelCount, 0, "one symbol needs no bits")
            XCTAssertEqual(shape.wordCount, 0)
            XCTAssertEqual(wm.rank(code: 2, 3), 3)
            XCTAssertEqual(wm.rank(code: 0, 3), 0)
            XCTAssertEqual(wm.accessAndRank(1).code, 2)
            XCTAssertEqual(wm.accessAndRank(1).rank, 1)
            var got: [(Int, Int)] = []
            wm.forEachDistinct(1, 4) { got.append(($0, $1)) }
            XCTAssertEqual(got.map(\.0), [2])
            XCTAssertEqual(got.map(\.1), [3])
        }
    }

    func testSkewedSequenceTakesFewerBitsThanPlainMatrix() {
        // Zipfian over 4,096 codes: a plain matrix needs 12 bits per symbol, Huffman about H0 + 1.
        var rng = SplitMix64(seed: 7)
        var cdf: [Double] = []
        var total = 0.0
        for c in 0..<4096 { total += 1 / Double(c + 1); cdf.append(total) }
        var frequencies = [Int](repeating: 0, count: 4096)
        for _ in 0..<50_000 {
            let u = Double.random(in: 0..<total, using: &rng)
            var lo = 0, hi = 4095
            while lo < hi { let mid = (lo + hi) / 2; if cdf[mid] <= u { lo = mid + 1 } else { hi = mid } }
            frequencies[lo] += 1
        }
        let shape = WaveletMatrixShape(frequencies: frequencies)
        let bits = (0..<shape.levelCount).reduce(0) { $0 + shape.levels[$1].length }
        var entropy = 0.0
        for f in frequencies where f > 0 { let p = Double(f) / 50_000; entropy -= p * log2(p) }
        XCTAssertLessThan(Double(bits) / 50_000, entropy + 1)
        XCTAssertLessThan(Double(bits) / 50_000, 9.5, "well under the plain matrix's 12 bits")
    }
}
