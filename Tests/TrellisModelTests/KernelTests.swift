import TrellisCore
import XCTest
import TrellisGGUF
import TrellisTestSupport
@testable import TrellisModel

#if canImport(Glibc)
import Glibc
#endif

/// SIMD paths of the model against scalar definitions.
final class KernelTests: XCTestCase {
    /// Kernel products on quantized bytes and the sgemm path equal dequantize-then-dot, for row
    /// counts on both sides of the dense threshold, alone and fused.
    func testLinearWeightMatchesReference() throws {
        for type in [GGMLType.q4_1, .q8_0, .f32, .f16] {
            var rng = SplitMix64(seed: UInt64(type.rawValue) + 100)
            let rows = 37, columns = 96
            let loop = try ParallelLoop(workers: 2)
            let bytes = TinyTransformerGGUF.quantize((0..<rows * columns).map { _ in rng.nextSigned() }, as: type)
            try bytes.withUnsafeBytes { raw in
                let w = LinearWeight(name: "w", type: type, rows: rows, columns: columns, data: raw.baseAddress!)
                for n in [1, 2, 3, 4, 5, 8, 9, 15, 16, 21] {
                    let x = (0..<n * columns).map { _ in rng.nextSigned() * 3 }
                    var fast = [Float](repeating: .nan, count: n * rows)
                    var plain = [Float](repeating: .nan, count: n * rows)
                    plain.withUnsafeMutableBufferPointer { w.applyReference(x, count: n, into: $0.baseAddress!) }
                    for threshold in [Int.max, 4] {   // kernels only; sgemm from 4 rows
                        w.denseRowThreshold = threshold
                        fast.withUnsafeMutableBufferPointer { w.apply(x, count: n, into: $0.baseAddress!, loop: loop) }
                        XCTAssertLessThan(maxAbsDiff(fast, plain), 1e-4, "\(type) n=\(n) threshold \(threshold)")
                    }
                }
            }
        }
    }

    func testSoftmaxAndSiluMatchScalar() {
        var rng = SplitMix64(seed: 5)
        for n in [1, 2, 15, 16, 17, 33, 100] {
            var row = (0..<n).map { _ in rng.nextSigned() * 20 }
            let m = row.max()!
            let e = row.map { Foundation.exp(Double($0 - m)) }
            let z = e.reduce(0, +)
            row.withUnsafeMutableBufferPointer { softmaxInPlace($0.baseAddress!, n) }
            for i in 0..<n { XCTAssertEqual(Double(row[i]), e[i] / z, accuracy: 1e-6, "softmax n=\(n)") }

            var gate = (0..<n).map { _ in rng.nextSigned() * 10 }
            let up = (0..<n).map { _ in rng.nextSigned() }
            let expected = (0..<n).map { Double(gate[$0]) / (1 + Foundation.exp(-Double(gate[$0]))) * Double(up[$0]) }
            gate.withUnsafeMutableBufferPointer { siluMultiply($0.baseAddress!, up, n) }
            for i in 0..<n { XCTAssertEqual(Double(gate[i]), expected[i], accuracy: 1e-5, "silu n=\(n)") }
        }
        // All equal: uniform distribution; one element: probability 1.
        var same = [Float](repeating: 3, count: 20)
        same.withUnsafeMutableBufferPointer { softmaxInPlace($0.baseAddress!, 20) }
        XCTAssertEqual(same[7], 0.05, accuracy: 1e-7)
        var one: [Float] = [-5]
        one.withUnsafeMutableBufferPointer { softmaxInPlace($0.baseAddress!, 1) }
        XCTAssertEqual(one[0], 1)
    }

    func testRmsNormAndDot() {
        var rng = SplitMix64(seed: 9)
        for n in [1, 16, 17, 64, 576] {
            let x = (0..<n).map { _ in rng.nextSigned() }
            let w = (0..<n).map { _ in 1 + rng.nextSigned() / 4 }
            var out = [Float](repeating: 0, count: n)
            out.withUnsafeMutableBufferPointer { rmsNorm(x, weight: w, epsilon: 1e-5, into: $0.baseAddress!, count: n) }
            let ms = x.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(n)
            for i in 0..<n {
                XCTAssertEqual(Double(out[i]), Double(x[i]) / (ms + 1e-5).squareRoot() * Double(w[i]), accuracy: 1e-5)
            }
            let exact = zip(x, w).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
            XCTAssertEqual(Double(dot(x, w, n)), exact, accuracy: 1e-4)
        }
    }
}
