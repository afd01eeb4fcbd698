import TrellisKernels
import XCTest

/// The int16-activation products on interleaved weights: the VNNI kernel against its scalar twin
/// (bit for bit), both against the float product within the bound of rounding x to int16,
/// results independent of how many inputs share a call, and the two quantizers against each other.
final class Int16MatmulTests: XCTestCase {
    static let formats: [WeightFormat] = [.q4_0, .q4_1, .q8_0]

    /// Σ_b (d_b / 2) · Σ_k |w_k − c_b| per (input, weight row): the largest error rounding x to
    /// int16 blocks can cause (d_b = max|x_b| / 32767). c_b is the part of the block applied
    /// through the float block sum (Q4_1: m, Q4_0: −8·scale, Q8_0: 0).
    func quantizationBounds(_ w: WeightMatrix, input x: [Float], n: Int) -> [[Double]] {
        var row = [Float](repeating: 0, count: w.cols)
        var bounds = [[Double]](repeating: [Double](repeating: 0, count: w.rows), count: n)
        for r in 0..<w.rows {
            row.withUnsafeMutableBufferPointer { w.dequantizeRow(r, into: $0.baseAddress!, level: .scalar) }
            for i in 0..<n {
                var bound = 0.0
                for b in 0..<w.cols / 32 {
                    let block = w.row(r) + b * w.format.bytesPerBlock
                    func half(_ offset: Int) -> Double {
                        Double(WeightFormat.halfToFloat(block.loadUnaligned(fromByteOffset: offset, as: UInt16.self)))
                    }
                    let offset = w.format == .q4_1 ? half(2) : w.format == .q4_0 ? -8 * half(0) : 0
                    var amax = 0.0, norm = 0.0
                    for k in b * 32..<b * 32 + 32 {
                        amax = max(amax, Double(abs(x[i * w.cols + k])))
                        norm += abs(Double(row[k]) - offset)
                    }
                    bound += amax / 32767 / 2 * norm
                }
                bounds[i][r] = bound
            }
        }
        return bounds
    }

    func product(_ w: InterleavedWeights, _ packed: Int16Activations, groups: Range<Int>, accumulate: Bool,
                 start: [Float], level: KernelLevel) -> [Float] {
        var y = start
        y.withUnsafeMutableBufferPointer {
            w.multiply(packed: packed, output: $0.baseAddress!, groupRange: groups, accumulate: accumulate, level: level)
        }
        return y
    }

    func testProductsMatchFloatWithinQuantizationBound() throws {
        var seed: UInt64 = 300
        for format in Self.formats {
            for cols in [32, 64, 160, 576] {
                for (rows, n) in [(13, 1), (16, 2), (35, 3), (16, 8), (35, 9), (48, 17)] {
                    seed += 1
                    let storage = try WeightStorage(randomFormat: format, rows: rows, cols: cols, seed: seed)
                    let w = storage.matrix
                    let interleaved = try InterleavedWeights(w)
                    XCTAssertEqual(interleaved.groups, (rows + 15) / 16)
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
                    let packed = Int16Activations()
                    try x.withUnsafeBufferPointer { try packed.pack($0.baseAddress!, rows: n, cols: cols) }
                    let all = 0..<interleaved.groups
                    for groups in [all, all.upperBound - 1..<all.upperBound] {
                        for accumulate in [false, true] {
                            let start = randomFloats(n * rows, seed: seed &* 5)
                            let twin = product(interleaved, packed, groups: groups, accumulate: accumulate, start: start, level: .scalar)
                            let fast = product(interleaved, packed, groups: groups, accumulate: accumulate, start: start, level: .best)
                            XCTAssertEqual(twin, fast, "\(format) \(rows)x\(cols) n \(n) groups \(groups): kernel differs from its twin")
                            for i in 0..<n {
                                for r in 0..<rows {
                                    let at = i * rows + r
                                    guard groups.contains(r / 16) else {
                                        XCTAssertEqual(twin[at], start[at], "row \(r) outside \(groups) was written")
                                        continue
                                    }
                                    let base = accumulate ? Double(start[at]) : 0
                                    let rounding = kernelRelativeTolerance * (magnitudes[i][r] + abs(base)) + 1e-6
                                    let label = "\(format) \(rows)x\(cols) n \(n) groups \(groups) acc \(accumulate) (i \(i), r \(r))"
                                    XCTAssertLessThanOrEqual(abs(Double(twin[at]) - base - Double(float[at])),
                                                             bounds[i][r] + rounding, label)
                                }
                            }
                        }
                    }
                    withExtendedLifetime(storage) {}
                }
            }
        }
    }

    /// Eight inputs in one call give exactly what each gives alone (integer sums are exact and
    /// every input's float operations run in the same order).
    func testResultsDoNotDependOnBatchSize() throws {
        for format in Self.formats {
            let (rows, cols, n) = (40, 576, 8)
            let storage = try WeightStorage(randomFormat: format, rows: rows, cols: cols, seed: 11)
            let interleaved = try InterleavedWeights(storage.matrix)
            let x = randomFloats(n * cols, seed: 12)
            let batch = Int16Activations(), single = Int16Activations()
            var together = [Float](repeating: 0, count: n * rows), alone = together
            try x.withUnsafeBufferPointer { xp in
                try batch.pack(xp.baseAddress!, rows: n, cols: cols)
                together.withUnsafeMutableBufferPointer { interleaved.multiply(packed: batch, output: $0.baseAddress!) }
                for i in 0..<n {
                    try single.pack(xp.baseAddress! + i * cols, rows: 1, cols: cols)
                    alone.withUnsafeMutableBufferPointer { interleaved.multiply(packed: single, output: $0.baseAddress! + i * rows) }
                }
            }
            XCTAssertEqual(together, alone, "\(format)")
            withExtendedLifetime(storage) {}
        }
    }

    /// The bound is not vacuous: on model-like inputs the int16 error is tiny against |x|·|w|.
    func testErrorIsSmallRelativeToMagnitude() throws {
        for format in Self.formats {
            let (rows, cols, n) = (64, 576, 8)
            let storage = try WeightStorage(randomFormat: format, rows: rows, cols: cols, seed: 7)
            let w = storage.matrix
            let interleaved = try InterleavedWeights(w)
            let x = randomFloats(n * cols, seed: 8)
            let magnitudes = magnitudeSums(w, input: x, n: n, ldx: cols)
            var float = [Float](repeating: 0, count: n * rows), int16 = float
            let packed = Int16Activations()
            try x.withUnsafeBufferPointer { xp in
                try packed.pack(xp.baseAddress!, rows: n, cols: cols)
                float.withUnsafeMutableBufferPointer { w.multiply(input: xp.baseAddress!, rows: n, output: $0.baseAddress!) }
            }
            int16.withUnsafeMutableBufferPointer { interleaved.multiply(packed: packed, output: $0.baseAddress!) }
            var worst = 0.0
            for i in 0..<n * rows { worst = max(worst, abs(Double(int16[i] - float[i])) / magnitudes[i / rows][i % rows]) }
            XCTAssertLessThan(worst, 3e-5, "\(format): worst error relative to Σ|w·x|")
            XCTAssertGreaterThan(worst, 0, "\(format): int16 path was not taken")
            withExtendedLifetime(storage) {}
        }
    }

    func testQuantizersAgree() throws {
        for cols in [32, 96, 160, 576] {
            let n = 5, stride = cols + 7, blocks = cols / 32
            var x = randomFloats(n * stride, seed: UInt64(cols))
            x[3] = 0; for k in 32..<min(64, cols) { x[k] = 0 }   // an all-zero block when cols > 32
            x[1] = 1e30   // a huge value saturates nothing: its block just gets a huge scale
            let plain = Int16Activations(), fast = Int16Activations()
            try x.withUnsafeBufferPointer {
                try plain.pack($0.baseAddress!, rows: n, cols: cols, stride: stride, level: .scalar)
                try fast.pack($0.baseAddress!, rows: n, cols: cols, stride: stride)
            }
            XCTAssertEqual(plain.rowBytes, (blocks * 72 + 63) / 64 * 64)
            for i in 0..<n {
                let row = i * plain.rowBytes
                for b in 0..<blocks {
                    let scaleAt = row + blocks * 64 + 4 * b, sumAt = scaleAt + 4 * blocks
                    let d = plain.bytes.load(fromByteOffset: scaleAt, as: Float.self)
                    XCTAssertEqual(d, fast.bytes.load(fromByteOffset: scaleAt, as: Float.self), "cols \(cols) row \(i) block \(b) scale")
                    XCTAssertEqual(plain.bytes.load(fromByteOffset: sumAt, as: Float.self),
                                   fast.bytes.load(fromByteOffset: sumAt, as: Float.self),
                                   accuracy: 1e-5 * max(1, abs(plain.bytes.load(fromByteOffset: sumAt, as: Float.self))))
                    for j in 0..<32 {
                        let at = row + b * 64 + 2 * j
                        let q = plain.bytes.load(fromByteOffset: at, as: Int16.self)
                        XCTAssertEqual(q, fast.bytes.load(fromByteOffset: at, as: Int16.self), "cols \(cols) row \(i) element \(b * 32 + j)")
                        // Each element comes back within half a step of its block's scale.
                        let value = x[i * stride + b * 32 + j]
                        XCTAssertLessThanOrEqual(abs(Float(q) * d - value), d / 2 * 1.0001 + abs(value) * 1e-6)
                    }
                }
            }
        }
    }

    func testRejectsRaggedColumnsAndUnsupportedFormats() throws {
        let x = [Float](repeating: 1, count: 40)
        XCTAssertThrowsError(try x.withUnsafeBufferPointer { try Int16Activations().pack($0.baseAddress!, rows: 1, cols: 40) })
        let storage = try WeightStorage(randomFormat: .f32, rows: 4, cols: 32, seed: 1)
        XCTAssertFalse(InterleavedWeights.supports(.f32))
        XCTAssertThrowsError(try InterleavedWeights(storage.matrix))
        withExtendedLifetime(storage) {}
    }
}
