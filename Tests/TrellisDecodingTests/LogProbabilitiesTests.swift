import Foundation
import TrellisCore
import TrellisDecoding
import TrellisTestSupport
import XCTest

final class LogProbabilitiesTests: XCTestCase {
    /// The SIMD log-sum-exp against its Double/libm twin on random rows of every tail length,
    /// huge logits, -inf entries and degenerate rows.
    func testLogSumExpMatchesReference() {
        var rng = SplitMix64(seed: 1)
        var lengths = Array(0...40)
        lengths += [63, 64, 65, 1000, 49152]
        for n in lengths {
            for scale: Float in [0.1, 5, 30] {
                var row = (0..<n).map { _ in Float.random(in: -scale...scale, using: &rng) }
                if n > 3 { row[1] = -.infinity; row[n - 1] += 1000 }
                row.withUnsafeBufferPointer { buf in
                    let fast = LogProbabilities.logSumExp(buf), reference = LogProbabilities.logSumExpReference(buf)
                    if n == 0 {
                        XCTAssertEqual(fast, -.infinity)
                    } else {
                        XCTAssertEqual(fast, reference, accuracy: 2e-6 * max(1, abs(reference)), "n \(n) scale \(scale)")
                    }
                }
            }
        }
        let degenerate: [[Float]] = [[-.infinity, -.infinity], [7], [Float](repeating: 3, count: 17), [1e30, 1e30]]
        let expected: [Float] = [-.infinity, 7, 3 + logf(17), 1e30]
        for (row, e) in zip(degenerate, expected) {
            row.withUnsafeBufferPointer { XCTAssertEqual(LogProbabilities.logSumExp($0), e, accuracy: abs(e) * 1e-6 + 1e-5) }
        }
    }

    func testLogSoftmaxIsNormalized() {
        var rng = SplitMix64(seed: 2)
        for n in [1, 5, 8, 17, 49152] {
            var row = (0..<n).map { _ in Float.random(in: -20...20, using: &rng) }
            row.withUnsafeMutableBufferPointer { LogProbabilities.logSoftmax($0) }
            let total = row.reduce(0.0) { $0 + exp(Double($1)) }
            XCTAssertEqual(total, 1, accuracy: 1e-4, "n \(n)")
            XCTAssertTrue(row.allSatisfy { $0 <= 0 })
        }
        var big: [Float] = [1000, 1000, -.infinity]
        big.withUnsafeMutableBufferPointer { LogProbabilities.logSoftmax($0) }
        XCTAssertEqual(big[0], -logf(2), accuracy: 1e-4)  // Float spacing at 1000 is 6e-5
        XCTAssertEqual(big[2], -.infinity)
        var dead: [Float] = [-.infinity, -.infinity]
        dead.withUnsafeMutableBufferPointer { LogProbabilities.logSoftmax($0) }
        XCTAssertEqual(dead, [-.infinity, -.infinity])
    }

    /// Heap selection against a full sort, with ties (lower index first), -inf and NaN entries.
    func testTopKMatchesFullSort() {
        var rng = SplitMix64(seed: 3)
        var selector = TopKSelector()
        var out: [(index: Int, value: Float)] = []
        for trial in 0..<300 {
            let n = Int.random(in: 0...200, using: &rng)
            let levels = Int.random(in: 1...10, using: &rng)  // few distinct values: many ties
            let row: [Float] = (0..<n).map { _ in
                switch Int.random(in: 0..<20, using: &rng) {
                case 0: return -.infinity
                case 1: return .nan
                default: return Float(Int.random(in: 0..<levels, using: &rng))
                }
            }
            let k = Int.random(in: 0...12, using: &rng)
            let expected = row.enumerated().filter { $0.element.isFinite }
                .sorted { $0.element > $1.element || ($0.element == $1.element && $0.offset < $1.offset) }
                .prefix(k).map(\.offset)
            row.withUnsafeBufferPointer { selector.select(k, from: $0, into: &out) }
            XCTAssertEqual(out.map(\.index), expected, "trial \(trial)")
            XCTAssertEqual(out.map(\.value), expected.map { row[$0] })
        }
        let values: [Float] = [0.1, 5, 3, 5, -1]
        values.withUnsafeBufferPointer { XCTAssertEqual(LogProbabilities.topK($0, 3).map(\.index), [1, 3, 2]) }
    }
}
