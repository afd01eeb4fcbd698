import TrellisGGUF

/// Matrix-vector products straight on quantized weight blocks, float32 activations.
///
/// Each 32-weight block is decoded once into two 16-lane float vectors and multiplied into up
/// to four activation rows, so a batch of n rows reads the weights ⌈n/4⌉ times. Accumulation is
/// float32 in 16 lanes, summed at the end of each output row.
enum QuantizedKernel: Sendable {
    case q4_1
    case q8_0

    init?(type: GGMLType) {
        switch type {
        case .q4_1: self = .q4_1
        case .q8_0: self = .q8_0
        default: return nil
        }
    }

    /// y[i·yStride + r] = Σ_c W[r, c]·x[i·columns + c] for r in rowRange, i in 0..<count.
    func multiply(weights: UnsafeRawPointer, rowBytes: Int, rowRange: Range<Int>, columns: Int,
                  x: UnsafePointer<Float>, count: Int, y: UnsafeMutablePointer<Float>, yStride: Int) {
        switch self {
        case .q4_1:
            multiplyBlocks(Q4_1Block.self, weights, rowBytes, rowRange, columns, x, count, y, yStride)
        case .q8_0:
            multiplyBlocks(Q8_0Block.self, weights, rowBytes, rowRange, columns, x, count, y, yStride)
        }
    }
}

/// Decodes one 32-element block into its low and high 16 weights.
protocol WeightBlock {
    static var bytes: Int { get }
    static func decode(_ p: UnsafeRawPointer) -> (SIMD16<Float>, SIMD16<Float>)
}

/// IEEE half bits to Float; scales are normal numbers in practice, subnormals handled exactly.
@inline(__always)
func halfBits(_ p: UnsafeRawPointer) -> Float {
    let h = UInt32(p.loadUnaligned(as: UInt16.self).littleEndian)
    let exp = (h >> 10) & 0x1F, mant = h & 0x3FF, sign = (h & 0x8000) << 16
    if exp != 0 && exp != 31 {
        return Float(bitPattern: sign | ((exp + 112) << 23) | (mant << 13))
    }
    return halfToFloat(UInt16(h))
}

/// Q4_1: f16 scale d, f16 minimum m, 16 bytes; weight j = (nibble j)·d + m, low nibbles first.
enum Q4_1Block: WeightBlock {
    static var bytes: Int { 20 }
    @inline(__always)
    static func decode(_ p: UnsafeRawPointer) -> (SIMD16<Float>, SIMD16<Float>) {
        let d = SIMD16<Float>(repeating: halfBits(p))
        let m = SIMD16<Float>(repeating: halfBits(p + 2))
        let q = (p + 4).loadUnaligned(as: SIMD16<UInt8>.self)
        let lo = SIMD16<Float>(SIMD16<Int32>(truncatingIfNeeded: q & 0x0F))
        let hi = SIMD16<Float>(SIMD16<Int32>(truncatingIfNeeded: q &>> 4))
        return (lo * d + m, hi * d + m)
    }
}

/// Q8_0: f16 scale d, 32 signed bytes; weight j = q_j·d.
enum Q8_0Block: WeightBlock {
    static var bytes: Int { 34 }
    @inline(__always)
    static func decode(_ p: UnsafeRawPointer) -> (SIMD16<Float>, SIMD16<Float>) {
        let d = SIMD16<Float>(repeating: halfBits(p))
        let a = (p + 2).loadUnaligned(as: SIMD16<Int8>.self)
        let b = (p + 18).loadUnaligned(as: SIMD16<Int8>.self)
        return (SIMD16<Float>(SIMD16<Int32>(truncatingIfNeeded: a)) * d,
                SIMD16<Float>(SIMD16<Int32>(truncatingIfNeeded: b)) * d)
    }
}

@inline(__always)
private func multiplyBlocks<B: WeightBlock>(
    _: B.Type, _ w: UnsafeRawPointer, _ rowBytes: Int, _ rowRange: Range<Int>, _ columns: Int,
    _ x: UnsafePointer<Float>, _ count: Int, _ y: UnsafeMutablePointer<Float>, _ yStride: Int
) {
    let blocks = columns / 32
    for r in rowRange {
        let row = w + r * rowBytes
        var i = 0
        while i + 4 <= count {
            let x0 = x + i * columns, x1 = x0 + columns, x2 = x1 + columns, x3 = x2 + columns
            var a0 = SIMD16<Float>(), a1 = SIMD16<Float>(), a2 = SIMD16<Float>(), a3 = SIMD16<Float>()
            for b in 0..<blocks {
                let (lo, hi) = B.decode(row + b * B.bytes)
                let o = b * 32
                a0 += lo * load16(x0 + o) + hi * load16(x0 + o + 16)
                a1 += lo * load16(x1 + o) + hi * load16(x1 + o + 16)
                a2 += lo * load16(x2 + o) + hi * load16(x2 + o + 16)
                a3 += lo * load16(x3 + o) + hi * load16(x3 + o + 16)
            }
            y[i * yStride + r] = a0.sum()
            y[(i + 1) * yStride + r] = a1.sum()
            y[(i + 2) * yStride + r] = a2.sum()
            y[(i + 3) * yStride + r] = a3.sum()
            i += 4
        }
        while i < count {
            let x0 = x + i * columns
            var a0 = SIMD16<Float>(), a1 = SIMD16<Float>()
            for b in 0..<blocks {
                let (lo, hi) = B.decode(row + b * B.bytes)
                let o = b * 32
                a0 += lo * load16(x0 + o)
                a1 += hi * load16(x0 + o + 16)
            }
            y[i * yStride + r] = (a0 + a1).sum()
            i += 1
        }
    }
}
