import TrellisCore
import TrellisKernels
import XCTest

/// dequantizeRow at every level against values computed by hand from the block layouts,
/// the half conversions against Swift's Float16, and quantize → dequantize round trips.
final class DequantizeTests: XCTestCase {
    /// Little-endian bytes of a half.
    private func half(_ value: Float) -> [UInt8] {
        let h = WeightFormat.floatToHalf(value)
        return [UInt8(h & 0xff), UInt8(h >> 8)]
    }

    private func dequantize(_ format: WeightFormat, _ bytes: [UInt8], count: Int, level: KernelLevel) -> [Float] {
        var out = [Float](repeating: .nan, count: count)
        bytes.withUnsafeBytes { src in
            out.withUnsafeMutableBufferPointer { format.dequantizeRow(src.baseAddress!, into: $0.baseAddress!, count: count, level: level) }
        }
        return out
    }

    /// Two blocks per quantized format with distinct scales, nibble j = j, high nibble 15 − j.
    func testHandBlocksAtEveryLevel() {
        let quants = (0..<16).map { UInt8($0 | (15 - $0) << 4) }
        var q8: [Int8] = []  // −128, −120, ..., 120, 127
        for j in 0..<32 { q8.append(j == 31 ? 127 : Int8(j * 8 - 128)) }
        var q40: [UInt8] = [], q41: [UInt8] = [], q80: [UInt8] = []
        var e40: [Float] = [], e41: [Float] = [], e80: [Float] = []
        for (d, m) in [(Float(0.5), Float(-1.0)), (Float(-0.125), Float(2.25))] {
            q40 += half(d) + quants
            q41 += half(d) + half(m) + quants
            q80 += half(d) + q8.map { UInt8(bitPattern: $0) }
            e40 += (0..<16).map { d * Float($0 - 8) } + (0..<16).map { d * Float(15 - $0 - 8) }
            e41 += (0..<16).map { d * Float($0) + m } + (0..<16).map { d * Float(15 - $0) + m }
            e80 += q8.map { d * Float($0) }
        }
        let f16Values: [Float] = (0..<40).map { Float($0) * 0.25 - 5 }  // exact in half; 40 = one block + tail
        let f16 = f16Values.flatMap(half)
        let f32Values: [Float] = (0..<37).map { Float($0) * 1.5 - 7 }
        let f32 = f32Values.flatMap { v in withUnsafeBytes(of: v.bitPattern.littleEndian, Array.init) }
        for level in KernelLevel.available {
            XCTAssertEqual(dequantize(.q4_0, q40, count: 64, level: level), e40, "Q4_0 \(level)")
            XCTAssertEqual(dequantize(.q4_1, q41, count: 64, level: level), e41, "Q4_1 \(level)")
            XCTAssertEqual(dequantize(.q8_0, q80, count: 64, level: level), e80, "Q8_0 \(level)")
            XCTAssertEqual(dequantize(.f16, f16, count: 40, level: level), f16Values, "F16 \(level)")
            XCTAssertEqual(dequantize(.f32, f32, count: 37, level: level), f32Values, "F32 \(level)")
        }
    }

    func testEveryLevelMatchesScalarOnRandomRows() throws {
        for format in WeightFormat.allCases {
            let storage = try WeightStorage(randomFormat: format, rows: 3, cols: 96, seed: 11)
            for r in 0..<3 {
                var reference = [Float](repeating: 0, count: 96)
                reference.withUnsafeMutableBufferPointer { storage.matrix.dequantizeRow(r, into: $0.baseAddress!, level: .scalar) }
                for level in KernelLevel.available {
                    var fast = [Float](repeating: 0, count: 96)
                    fast.withUnsafeMutableBufferPointer { storage.matrix.dequantizeRow(r, into: $0.baseAddress!, level: level) }
                    // One rounding (d·q + m fused or not) apart at most.
                    for k in 0..<96 {
                        XCTAssertEqual(fast[k], reference[k], accuracy: abs(reference[k]) * 1e-6 + 1e-7, "\(format) \(level) r\(r) k\(k)")
                    }
                }
            }
        }
    }

    #if !((os(macOS) || targetEnvironment(macCatalyst)) && arch(x86_64))
    func testHalfConversionsAgreeWithFloat16Exhaustively() {
        for bits in 0...UInt16.max {
            let expected = Float(Float16(bitPattern: bits))
            let got = WeightFormat.halfToFloat(bits)
            if expected.isNaN {
                XCTAssertTrue(got.isNaN, "half \(bits)")
            } else {
                XCTAssertEqual(got.bitPattern, expected.bitPattern, "half \(bits)")
                // Float → half → float is the identity on half values.
                XCTAssertEqual(WeightFormat.floatToHalf(expected), bits, "half \(bits)")
            }
        }
        var random = SplitMix64(seed: 3)
        for _ in 0..<100_000 {
            let value = Float(bitPattern: UInt32(truncatingIfNeeded: random.next()))
            guard !value.isNaN else { continue }
            XCTAssertEqual(WeightFormat.floatToHalf(value), Float16(value).bitPattern, "float \(value)")
        }
    }
    #endif

    func testQuantizeRoundTripErrorBounds() throws {
        let values = randomFloats(32 * 8, seed: 5)
        for format in WeightFormat.allCases {
            let storage = try WeightStorage(quantizing: values, format: format, rows: 2, cols: 128)
            for r in 0..<2 {
                var row = [Float](repeating: 0, count: 128)
                row.withUnsafeMutableBufferPointer { storage.matrix.dequantizeRow(r, into: $0.baseAddress!) }
                for b in 0..<4 {
                    let block = values[(r * 128 + b * 32)..<(r * 128 + b * 32 + 32)]
                    let spread = block.max()! - block.min()!, amax = block.map(abs).max()!
                    // Half a quantization step, plus the half-precision rounding of the scales.
                    let bound: Float
                    switch format {
                    case .f32: bound = 0
                    case .f16: bound = amax / 1024
                    case .q8_0: bound = amax / 127 * 0.51 + amax / 1024
                    case .q4_0: bound = amax / 8 + amax / 256
                    case .q4_1: bound = spread / 15 * 0.51 + (spread + amax) / 1024
                    }
                    for j in 0..<32 {
                        let k = b * 32 + j
                        XCTAssertLessThanOrEqual(abs(row[k] - values[r * 128 + k]), bound, "\(format) r\(r) k\(k)")
                    }
                }
            }
        }
    }

    func testAllEqualAndZeroBlocksRoundTrip() throws {
        for value: Float in [0, 1.5, -3] {
            let values = [Float](repeating: value, count: 64)
            for format in WeightFormat.allCases {
                let storage = try WeightStorage(quantizing: values, format: format, rows: 1, cols: 64)
                var row = [Float](repeating: .nan, count: 64)
                row.withUnsafeMutableBufferPointer { storage.matrix.dequantizeRow(0, into: $0.baseAddress!) }
                // Q8_0 stores value/127 as a half, so 127·d is exact only to half precision.
                let tolerance: Float = format == .q8_0 ? abs(value) / 1024 : 0
                for k in 0..<64 { XCTAssertEqual(row[k], value, accuracy: tolerance, "\(format) constant \(value)") }
            }
        }
    }

    func testShapeValidation() throws {
        let bytes = [UInt8](repeating: 0, count: 64)
        try bytes.withUnsafeBytes { raw in
            XCTAssertThrowsError(try WeightMatrix(format: .q4_1, rows: 1, cols: 33, data: raw.baseAddress!))
            XCTAssertThrowsError(try WeightMatrix(format: .q8_0, rows: 1, cols: 32, data: raw.baseAddress!, rowStride: 10))
            XCTAssertNoThrow(try WeightMatrix(format: .f32, rows: 1, cols: 7, data: raw.baseAddress!))
        }
        XCTAssertThrowsError(try WeightStorage(format: .q4_0, rows: 2, cols: 32, bytes: [0, 1, 2]))
        XCTAssertEqual(WeightFormat.q4_1.rowBytes(cols: 576), 360)
        XCTAssertEqual(WeightFormat.q8_0.rowBytes(cols: 576), 612)
        XCTAssertNil(WeightFormat.q4_0.rowBytes(cols: 100))
    }
}
