import TrellisKernels
import XCTest

/// Every vector op at every level against its scalar twin, on lengths that exercise the
/// SIMD bodies and tails, and on degenerate inputs (one element, all equal, huge ranges).
final class VectorMathTests: XCTestCase {
    /// Relative tolerance of the SIMD exponential-based ops against libm.
    let expRelativeTolerance: Float = 2e-6

    private let lengths = [1, 7, 16, 33, 576, 1000]

    private func check(_ a: [Float], _ b: [Float], relative: Float, absolute: Float = 1e-30, _ message: String) {
        XCTAssertEqual(a.count, b.count)
        for i in 0..<a.count where abs(a[i] - b[i]) > relative * max(abs(a[i]), abs(b[i])) + absolute {
            XCTFail("\(message) at \(i): \(a[i]) vs \(b[i])")
            return
        }
    }

    private func inputs(_ count: Int, seed: UInt64, scale: Float) -> [Float] {
        randomFloats(count, seed: seed).map { $0 * scale }
    }

    func testSoftmaxAndLogSoftmax() {
        for level in KernelLevel.available where level != .scalar {
            for count in lengths {
                for scale: Float in [1, 30, 200] {
                    let x = inputs(count, seed: UInt64(count) &* 13, scale: scale)
                    var reference = x, fast = x
                    VectorMath.softmax(&reference, count: count, level: .scalar)
                    VectorMath.softmax(&fast, count: count, level: level)
                    check(fast, reference, relative: expRelativeTolerance, absolute: 1e-37, "softmax \(level) n\(count) scale \(scale)")
                    XCTAssertEqual(fast.reduce(0, +), 1, accuracy: 1e-5)
                    var logReference = x, logFast = x
                    VectorMath.logSoftmax(&logReference, count: count, level: .scalar)
                    VectorMath.logSoftmax(&logFast, count: count, level: level)
                    check(logFast, logReference, relative: 1e-6, absolute: 1e-5, "logSoftmax \(level) n\(count)")
                }
            }
            var equal = [Float](repeating: 3, count: 10)
            VectorMath.softmax(&equal, count: 10, level: level)
            check(equal, [Float](repeating: 0.1, count: 10), relative: 1e-6, "softmax of equal values")
            var one: [Float] = [-5]
            VectorMath.logSoftmax(&one, count: 1, level: level)
            XCTAssertEqual(one, [0])
        }
    }

    func testSiluMultiply() {
        for level in KernelLevel.available where level != .scalar {
            for count in lengths {
                for scale: Float in [1, 10, 120] {
                    let gate = inputs(count, seed: UInt64(count), scale: scale)
                    let up = inputs(count, seed: UInt64(count) + 1, scale: 1)
                    var reference = [Float](repeating: 0, count: count), fast = reference
                    VectorMath.siluMultiply(gate: gate, up: up, output: &reference, count: count, level: .scalar)
                    VectorMath.siluMultiply(gate: gate, up: up, output: &fast, count: count, level: level)
                    check(fast, reference, relative: expRelativeTolerance, absolute: 1e-30, "silu \(level) n\(count) scale \(scale)")
                }
            }
        }
    }

    func testNormDotAddScale() {
        for level in KernelLevel.available where level != .scalar {
            for count in lengths {
                let x = inputs(count, seed: UInt64(count) + 7, scale: 3)
                let w = inputs(count, seed: UInt64(count) + 8, scale: 1)
                var reference = [Float](repeating: 0, count: count), fast = reference
                VectorMath.rmsNorm(x, weight: w, epsilon: 1e-5, output: &reference, count: count, level: .scalar)
                VectorMath.rmsNorm(x, weight: w, epsilon: 1e-5, output: &fast, count: count, level: level)
                check(fast, reference, relative: 1e-5, absolute: 1e-6, "rmsNorm \(level) n\(count)")
                var inPlace = x
                inPlace.withUnsafeMutableBufferPointer { p in
                    VectorMath.rmsNorm(p.baseAddress!, weight: w, epsilon: 1e-5, output: p.baseAddress!, count: count, level: level)
                }
                check(inPlace, fast, relative: 0, absolute: 0, "rmsNorm in place \(level)")

                let magnitude = zip(x, w).reduce(Float(0)) { $0 + abs($1.0 * $1.1) }
                XCTAssertEqual(VectorMath.dot(x, w, count: count, level: level),
                               VectorMath.dot(x, w, count: count, level: .scalar), accuracy: magnitude * 1e-6 + 1e-6)

                var sumFast = w, sumReference = w
                VectorMath.add(x, into: &sumFast, count: count, level: level)
                VectorMath.add(x, into: &sumReference, count: count, level: .scalar)
                XCTAssertEqual(sumFast, sumReference)
                var axpyFast = w, axpyReference = w
                VectorMath.addScaled(x, by: 0.75, into: &axpyFast, count: count, level: level)
                VectorMath.addScaled(x, by: 0.75, into: &axpyReference, count: count, level: .scalar)
                check(axpyFast, axpyReference, relative: 1e-6, absolute: 1e-7, "axpy \(level)")
                var scaled = x
                VectorMath.scale(&scaled, by: -2, count: count, level: level)
                XCTAssertEqual(scaled, x.map { $0 * -2 })
            }
        }
    }

    func testRmsNormMatchesDefinition() {
        let x: [Float] = [3, -4], w: [Float] = [1, 2]
        var out: [Float] = [0, 0]
        VectorMath.rmsNorm(x, weight: w, epsilon: 0, output: &out, count: 2, level: .scalar)
        let inv = 1 / Float((25.0 / 2.0).squareRoot())
        XCTAssertEqual(out[0], 3 * inv, accuracy: 1e-6)
        XCTAssertEqual(out[1], -8 * inv, accuracy: 1e-6)
    }
}
