import TrellisKernels
import XCTest

/// Every SIMD level against the scalar reference, for every format, batch sizes that hit
/// the n = 1 path, partial input tiles and several tiles, and row ranges that leave partial
/// row groups at both ends.
final class MatmulTests: XCTestCase {
    func testEveryLevelMatchesScalarForEveryFormat() throws {
        let fastLevels = KernelLevel.available.filter { $0 != .scalar }
        XCTAssertFalse(fastLevels.isEmpty)
        var seed: UInt64 = 1
        for format in WeightFormat.allCases {
            // F32/F16 also take a length that is not a multiple of 32.
            let colChoices = format.blockSize == 1 ? [64, 96, 77] : [64, 160]
            for cols in colChoices {
                for n in [1, 2, 3, 8, 17] {
                    seed += 1
                    let rows = 23
                    let storage = try WeightStorage(randomFormat: format, rows: rows, cols: cols, seed: seed)
                    let w = storage.matrix
                    let ldx = cols + 3, ldy = rows + 5
                    let x = randomFloats(n * ldx, seed: seed &* 31)
                    let bounds = magnitudeSums(w, input: x, n: n, ldx: ldx)
                    for range in [0..<rows, 3..<20, 5..<6, 1..<22] {
                        for accumulate in [false, true] {
                            let start = randomFloats(n * ldy, seed: seed &* 7)
                            let reference = run(w, x, n, ldx, ldy, range, accumulate, start, .scalar)
                            for level in fastLevels {
                                let fast = run(w, x, n, ldx, ldy, range, accumulate, start, level)
                                for i in 0..<n {
                                    for r in 0..<ldy {
                                        let (a, b) = (fast[i * ldy + r], reference[i * ldy + r])
                                        if !range.contains(r) {
                                            XCTAssertEqual(a, b, "untouched column changed")
                                            continue
                                        }
                                        let scale = bounds[i][r] + (accumulate ? Double(abs(start[i * ldy + r])) : 0)
                                        let error = abs(Double(a) - Double(b))
                                        if error > kernelRelativeTolerance * scale + 1e-7 {
                                            XCTFail("\(format) \(level) cols \(cols) n \(n) range \(range) acc \(accumulate) (i \(i), r \(r)): \(a) vs \(b), seed \(seed)")
                                            return
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// Model-sized rows (576 and 1536 columns) through the pool at every level.
    func testModelShapesThroughPool() throws {
        let pool = try ComputePool(threads: 2)
        for (format, rows, cols) in [(WeightFormat.q4_1, 72, 1536), (.q4_1, 200, 576), (.q8_0, 300, 576)] {
            let storage = try WeightStorage(randomFormat: format, rows: rows, cols: cols, seed: UInt64(rows + cols))
            for n in [1, 8] {
                let x = randomFloats(n * cols, seed: UInt64(n))
                let bounds = magnitudeSums(storage.matrix, input: x, n: n, ldx: cols)
                var reference = [Float](repeating: 0, count: n * rows)
                x.withUnsafeBufferPointer { storage.matrix.multiply(input: $0.baseAddress!, rows: n, output: &reference, level: .scalar) }
                for level in KernelLevel.available {
                    var fast = [Float](repeating: 0, count: n * rows)
                    x.withUnsafeBufferPointer { xp in
                        fast.withUnsafeMutableBufferPointer { yp in
                            pool.matmul(storage.matrix, input: xp.baseAddress!, rows: n, output: yp.baseAddress!, level: level)
                        }
                    }
                    for i in 0..<n {
                        for r in 0..<rows {
                            let error = abs(Double(fast[i * rows + r]) - Double(reference[i * rows + r]))
                            XCTAssertLessThanOrEqual(error, kernelRelativeTolerance * bounds[i][r] + 1e-7,
                                                     "\(format) \(rows)x\(cols) n \(n) \(level) (i \(i), r \(r))")
                        }
                    }
                }
            }
        }
    }

    func testScalarMatchesDefinitionOnHandBlock() throws {
        // One Q4_1 row of one block, d = 0.5, m = -1: element j = 0.5 * q_j - 1.
        var bytes: [UInt8] = [0x00, 0x38, 0x00, 0xBC]  // f16 0.5, f16 -1.0
        bytes += (0..<16).map { UInt8($0 | (15 - $0) << 4) }
        let storage = try WeightStorage(format: .q4_1, rows: 1, cols: 32, bytes: bytes)
        let x = (0..<32).map { Float($0 % 3) }
        var expected: Float = 0
        for j in 0..<16 {
            expected += (0.5 * Float(j) - 1) * x[j]
            expected += (0.5 * Float(15 - j) - 1) * x[j + 16]
        }
        for level in KernelLevel.available {
            var y: Float = 0
            x.withUnsafeBufferPointer { storage.matrix.multiply(input: $0.baseAddress!, rows: 1, output: &y, level: level) }
            XCTAssertEqual(y, expected, accuracy: 1e-5, "\(level)")
        }
    }

    func testEmptyRangeAndZeroInputsWriteNothing() throws {
        let storage = try WeightStorage(randomFormat: .q8_0, rows: 8, cols: 32, seed: 9)
        let x = [Float](repeating: 1, count: 32)
        var y = [Float](repeating: 42, count: 8)
        for level in KernelLevel.available {
            x.withUnsafeBufferPointer { xp in
                y.withUnsafeMutableBufferPointer { yp in
                    storage.matrix.multiply(input: xp.baseAddress!, rows: 1, output: yp.baseAddress!, rowRange: 4..<4, level: level)
                    storage.matrix.multiply(input: xp.baseAddress!, rows: 0, output: yp.baseAddress!, level: level)
                }
            }
            XCTAssertEqual(y, [Float](repeating: 42, count: 8))
        }
    }

    private func run(_ w: WeightMatrix, _ x: [Float], _ n: Int, _ ldx: Int, _ ldy: Int, _ range: Range<Int>,
                     _ accumulate: Bool, _ start: [Float], _ level: KernelLevel) -> [Float] {
        var y = start
        x.withUnsafeBufferPointer { xp in
            y.withUnsafeMutableBufferPointer { yp in
                w.multiply(input: xp.baseAddress!, rows: n, inputStride: ldx, output: yp.baseAddress!,
                           outputStride: ldy, rowRange: range, accumulate: accumulate, level: level)
            }
        }
        return y
    }
}
