import TrellisKernels
import XCTest

/// The int8-activation products: the VNNI kernel against its scalar twin (same integers, so only
/// float rounding differs), both against the float product within the quantization bound, and
/// the two activation quantizers against each other.
final class Int8MatmulTests: XCTestCase {
    static let formats: [WeightFormat] = [.q4_0, .q4_1, .q8_0]

    /// Σ_b (d_b / 2) · ‖w_b − c_b‖₁ per (input, weight row): the largest error rounding x to
    /// int8 blocks can cause (d_b = max|x_b| / 127). The integer part of a Q4 block is its
    /// nibbles centred on 8 (c_b = m + 8·scale for Q4_1, 0 for Q4_0); the rest, c_b · Σx, is
    /// computed from float sums.
    func quantizationBounds(_ w: WeightMatrix, input x: [Float], n: Int) -> [[Double]] {
        var row = [Float](repeating: 0, count: w.cols)
        var bounds = [[Double]](repeating: [Double](repeating: 0, count: w.rows), count: n)
        for r in 0..<w.rows {
            row.withUnsafeMutableBufferPointer { w.dequantizeRow(r, into: $0.baseAddress!, level: .scalar) }
            for i in 0..<n {
                var bound = 0.0
                for b in 0..<w.cols / 32 {
                    var amax = 0.0, norm = 0.0
                    let block = w.row(r) + b * w.format.bytesPerBlock
                    func half(_ offset: Int) -> Double {
                        Double(WeightFormat.halfToFloat(block.loadUnaligned(fromByteOffset: offset, as: UInt16.self)))
                    }
                    let centre = w.format == .q4_1 ? half(2) + 8 * half(0) : 0
                    for k in b * 32..<b * 32 + 32 {
                        amax = max(amax, Double(abs(x[i * w.cols + k])))
                        norm += abs(Double(row[k]) - centre)
                    }
                    bound += amax / 127 / 2 * norm
                }
                bounds[i][r] = bound
            }
        }
        return bounds
    }

    func product(_ w: WeightMatrix, _ packed: Int8Activations, n: Int, range: Range<Int>, accumulate: Bool,
                 start: [Float], level: KernelLevel) -> [Float] {
        var y = start
        y.withUnsafeMutableBufferPointer {
            w.multiply(packed: packed, output: $0.baseAddress!, rowRange: range, accumulate: accumulate, level: level)
        }
        return y
    }

    func testInt8ProductsMatchFloatWithinQuantizationBound() throws {
        var seed: UInt64 = 100
        for format in Self.formats {
            for cols in [32, 64, 96, 160, 576] {   // 1, 2, 3, 5 and 18 blocks: partial groups
                for n in [1, 2, 3, 8, 9, 17] {
                    seed += 1
                    let rows = 13
                    let storage = try WeightStorage(randomFormat: format, rows: rows, cols: cols, seed: seed)
                    let w = storage.matrix
                    // Uneven magnitudes across blocks, as in real activations.
                    var x = randomFloats(n * cols, seed: seed &* 17)
                    for k in x.indices where (k / 32) % 3 == 1 { x[k] *= 9 }
                    let magnitudes = magnitudeSums(w, input: x, n: n, ldx: cols)
                    let bounds = quantizationBounds(w, input: x, n: n)
                    var float = [Float](repeating: 0, count: n * rows)
                    x.withUnsafeBufferPointer { xp in
                        float.withUnsafeMutableBufferPointer {
                            w.multiply(input: xp.baseAddress!, rows: n, output: $0.baseAddress!, level: .scalar)
                        }
                    }
                    let packed = Int8Activations()
                    try x.withUnsafeBufferPointer { try packed.pack($0.baseAddress!, rows: n, cols: cols) }
                    for range in [0..<rows, 3..<10, 5..<6] {
                        for accumulate in [false, true] {
                            let start = randomFloats(n * rows, seed: seed &* 5)
                            let twin = product(w, packed, n: n, range: range, accumulate: accumulate, start: start, level: .scalar)
                            let fast = product(w, packed, n: n, range: range, accumulate: accumulate, start: start, level: .best)
                            for i in 0..<n {
                                for r in 0..<rows {
                                    let at = i * rows + r
                                    guard range.contains(r) else {
                                        XCTAssertEqual(twin[at], start[at]); XCTAssertEqual(fast[at], start[at])
                                        continue
                                    }
                                    let base = accumulate ? Double(start[at]) : 0
                                    let rounding = kernelRelativeTolerance * (magnitudes[i][r] + abs(base)) + 1e-6
                                    let exact = base + Double(float[at])
                                    let label = "\(format) cols \(cols) n \(n) range \(range) acc \(accumulate) (i \(i), r \(r))"
                                    XCTAssertLessThanOrEqual(abs(Double(twin[at]) - exact), bounds[i][r] + rounding, "twin vs float, \(label)")
                                    XCTAssertLessThanOrEqual(abs(Double(fast[at]) - Double(twin[at])), rounding, "fast vs twin, \(label)")
                                }
                            }
                        }
                    }
                    withExtendedLifetime(storage) {}
                }
            }
        }
    }

    /// The bound is not vacuous: on model-like inputs the int8 error is far below |x|·|w|.
    func testInt8ErrorIsSmallRelativeToMagnitude() throws {
        for format in Self.formats {
            let (rows, cols, n) = (64, 576, 8)
            let storage = try WeightStorage(randomFormat: format, rows: rows, cols: cols, seed: 7)
            let w = storage.matrix
            let x = randomFloats(n * cols, seed: 8)
            let magnitudes = magnitudeSums(w, input: x, n: n, ldx: cols)
            var float = [Float](repeating: 0, count: n * rows), int8 = float
            let packed = Int8Activations()
            try x.withUnsafeBufferPointer { xp in
                try packed.pack(xp.baseAddress!, rows: n, cols: cols)
                float.withUnsafeMutableBufferPointer { w.multiply(input: xp.baseAddress!, rows: n, output: $0.baseAddress!) }
            }
            int8.withUnsafeMutableBufferPointer { w.multiply(packed: packed, output: $0.baseAddress!) }
            var worst = 0.0
            for i in 0..<n * rows { worst = max(worst, abs(Double(int8[i] - float[i])) / magnitudes[i / rows][i % rows]) }
            XCTAssertLessThan(worst, 2e-3, "\(format): worst error relative to Σ|w·x|")
            XCTAssertGreaterThan(worst, 0, "\(format): int8 path was not taken")
            withExtendedLifetime(storage) {}
        }
    }

    func testQuantizersAgree() throws {
        for cols in [32, 96, 160, 576] {
            let n = 5
            var x = randomFloats(n * (cols + 7), seed: UInt64(cols))
            x[3] = 0; for k in 32..<min(64, cols) { x[k] = 0 }   // an all-zero block when cols > 32
            let plain = Int8Activations(), fast = Int8Activations()
            try x.withUnsafeBufferPointer {
                try plain.pack($0.baseAddress!, rows: n, cols: cols, stride: cols + 7, level: .scalar)
                try fast.pack($0.baseAddress!, rows: n, cols: cols, stride: cols + 7)
            }
            XCTAssertEqual(plain.rowBytes, (cols / 32 + 3) / 4 * 256)
            let bytes = plain.rows * plain.rowBytes
            for offset in 0..<bytes {
                let inGroup = offset % 256
                let a = plain.bytes.load(fromByteOffset: offset, as: UInt8.self)
                let b = fast.bytes.load(fromByteOffset: offset, as: UInt8.self)
                if inGroup < 192 {
                    XCTAssertEqual(a, b, "cols \(cols) byte \(offset)")
                } else if inGroup % 4 == 0 {
                    let fa = plain.bytes.load(fromByteOffset: offset, as: Float.self)
                    let fb = fast.bytes.load(fromByteOffset: offset, as: Float.self)
                    XCTAssertEqual(fa, fb, accuracy: 1e-5, "cols \(cols) block sum at \(offset)")
                }
            }
            // Each element comes back within half a step of its block's scale.
            for i in 0..<n {
                for k in 0..<cols {
                    let b = k / 32, group = i * plain.rowBytes + b / 4 * 256, lane = b % 4
                    let j = k % 32
                    let q = plain.bytes.load(fromByteOffset: group + (j < 16 ? 0 : 64) + lane * 16 + j % 16, as: Int8.self)
                    let d = plain.bytes.load(fromByteOffset: group + 128 + lane * 16, as: Float.self)
                    XCTAssertLessThanOrEqual(abs(Float(q) * d - x[i * (cols + 7) + k]), d / 2 * 1.0001 + 1e-7)
                }
            }
        }
    }

    func testPackRejectsRaggedColumns() {
        let x = [Float](repeating: 1, count: 40)
        XCTAssertThrowsError(try x.withUnsafeBufferPointer { try Int8Activations().pack($0.baseAddress!, rows: 1, cols: 40) })
    }
}
