/// Half-precision bits to Float, written out so it works on every platform.
@inline(__always)
public func halfToFloat(_ h: UInt16) -> Float {
    let sign = UInt32(h & 0x8000) << 16
    let exp = UInt32(h >> 10) & 0x1F
    let mant = UInt32(h & 0x3FF)
    if exp == 0 {
        if mant == 0 { return Float(bitPattern: sign) }
        // Subnormal half: value = mant * 2^-24.
        let v = Float(mant) * (1.0 / 16_777_216.0)
        return sign != 0 ? -v : v
    }
    if exp == 31 { return Float(bitPattern: sign | 0x7F80_0000 | (mant << 13)) }
    return Float(bitPattern: sign | ((exp + 112) << 23) | (mant << 13))
}

/// Float to half-precision bits, rounding to nearest even (used by tests and writers).
public func floatToHalf(_ f: Float) -> UInt16 {
    let bits = f.bitPattern
    let sign = UInt16((bits >> 16) & 0x8000)
    let exp = Int((bits >> 23) & 0xFF)
    var mant = bits & 0x7F_FFFF
    if exp == 0xFF { return sign | 0x7C00 | (mant != 0 ? 0x200 : 0) }
    var e = exp - 127 + 15
    if e >= 31 { return sign | 0x7C00 }
    if e <= 0 {
        if e < -10 { return sign }
        mant |= 0x80_0000
        let shift = UInt32(14 - e)
        var half = mant >> shift
        let rem = mant & ((1 << shift) - 1)
        let halfway = UInt32(1) << (shift - 1)
        if rem > halfway || (rem == halfway && half & 1 == 1) { half += 1 }
        return sign | UInt16(half)
    }
    var half = UInt32(e) << 10 | (mant >> 13)
    let rem = mant & 0x1FFF
    if rem > 0x1000 || (rem == 0x1000 && half & 1 == 1) { half += 1 }
    e = 0
    return sign | UInt16(truncatingIfNeeded: half)
}

extension GGMLType {
    /// Reference (plain, scalar) dequantization of `count` elements starting at `src`, which
    /// must be block-aligned. This is the definition that fast kernels are tested against.
    public func dequantize(_ src: UnsafeRawPointer, count: Int, into dst: UnsafeMutablePointer<Float>) {
        precondition(count % blockSize == 0, "count must be a multiple of the block size")
        let blocks = count / blockSize
        @inline(__always) func h(_ p: UnsafeRawPointer, _ o: Int) -> Float {
            halfToFloat(p.loadUnaligned(fromByteOffset: o, as: UInt16.self).littleEndian)
        }
        @inline(__always) func u8(_ p: UnsafeRawPointer, _ o: Int) -> UInt8 { p.load(fromByteOffset: o, as: UInt8.self) }
        switch self {
        case .f32:
            for i in 0..<count { dst[i] = Float(bitPattern: src.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self).littleEndian) }
        case .f16:
            for i in 0..<count { dst[i] = h(src, 2 * i) }
        case .bf16:
            for i in 0..<count {
                dst[i] = Float(bitPattern: UInt32(src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self).littleEndian) << 16)
            }
        case .q4_0:
            for b in 0..<blocks {
                let p = src + b * blockBytes, y = dst + b * 32
                let d = h(p, 0)
                for j in 0..<16 {
                    let q = u8(p, 2 + j)
                    y[j] = Float(Int(q & 0xF) - 8) * d
                    y[j + 16] = Float(Int(q >> 4) - 8) * d
                }
            }
        case .q4_1:
            for b in 0..<blocks {
                let p = src + b * blockBytes, y = dst + b * 32
                let d = h(p, 0), m = h(p, 2)
                for j in 0..<16 {
                    let q = u8(p, 4 + j)
                    y[j] = Float(q & 0xF) * d + m
                    y[j + 16] = Float(q >> 4) * d + m
                }
            }
        case .q5_0, .q5_1:
            let hasMin = self == .q5_1
            for b in 0..<blocks {
                let p = src + b * blockBytes, y = dst + b * 32
                let d = h(p, 0), m: Float = hasMin ? h(p, 2) : 0
                let qhOffset = hasMin ? 4 : 2
                let qh = p.loadUnaligned(fromByteOffset: qhOffset, as: UInt32.self).littleEndian
                for j in 0..<16 {
                    let q = u8(p, qhOffset + 4 + j)
                    let hi0 = Int((qh >> UInt32(j)) & 1) << 4
                    let hi1 = Int((qh >> UInt32(j + 16)) & 1) << 4
                    let x0 = Int(q & 0xF) | hi0, x1 = Int(q >> 4) | hi1
                    if hasMin {
                        y[j] = Float(x0) * d + m
                        y[j + 16] = Float(x1) * d + m
                    } else {
                        y[j] = Float(x0 - 16) * d
                        y[j + 16] = Float(x1 - 16) * d
                    }
                }
            }
        case .q8_0:
            for b in 0..<blocks {
                let p = src + b * blockBytes, y = dst + b * 32
                let d = h(p, 0)
                for j in 0..<32 { y[j] = Float(Int8(bitPattern: u8(p, 2 + j))) * d }
            }
        case .q4_K, .q5_K:
            let isQ5 = self == .q5_K
            for b in 0..<blocks {
                let p = src + b * blockBytes, y = dst + b * 256
                let d = h(p, 0), dmin = h(p, 2)
                let scales = p + 4                       // 12 bytes
                let qh = p + 16                          // Q5_K only: 32 bytes
                let qs = p + (isQ5 ? 48 : 16)            // 128 bytes
                for group in 0..<4 {                     // 64 elements per group: two sub-blocks of 32
                    let (sc0, mn0) = Self.scaleMinK4(2 * group, scales)
                    let (sc1, mn1) = Self.scaleMinK4(2 * group + 1, scales)
                    let d0 = d * Float(sc0), m0 = dmin * Float(mn0)
                    let d1 = d * Float(sc1), m1 = dmin * Float(mn1)
                    for l in 0..<32 {
                        let q = u8(qs, group * 32 + l)
                        var lo = Int(q & 0xF), hi = Int(q >> 4)
                        if isQ5 {
                            let hbits = u8(qh, l)
                            lo |= Int((hbits >> UInt8(2 * group)) & 1) << 4
                            hi |= Int((hbits >> UInt8(2 * group + 1)) & 1) << 4
                        }
                        y[group * 64 + l] = d0 * Float(lo) - m0
                        y[group * 64 + 32 + l] = d1 * Float(hi) - m1
                    }
                }
            }
        case .q6_K:
            for b in 0..<blocks {
                let p = src + b * blockBytes, y = dst + b * 256
                let ql = p, qh = p + 128, sc = p + 192
                let d = h(p, 208)
                for half in 0..<2 {                      // 128 elements per half
                    let l0 = half * 64, h0 = half * 32, s0 = half * 8
                    for l in 0..<32 {
                        let s = l / 16
                        let hb = u8(qh, h0 + l)
                        let q1 = Int(u8(ql, l0 + l) & 0xF) | (Int(hb & 3) << 4)
                        let q2 = Int(u8(ql, l0 + l + 32) & 0xF) | (Int((hb >> 2) & 3) << 4)
                        let q3 = Int(u8(ql, l0 + l) >> 4) | (Int((hb >> 4) & 3) << 4)
                        let q4 = Int(u8(ql, l0 + l + 32) >> 4) | (Int((hb >> 6) & 3) << 4)
                        let scale = { (k: Int) -> Float in Float(Int8(bitPattern: u8(sc, s0 + k))) }
                        y[half * 128 + l] = d * scale(s) * Float(q1 - 32)
                        y[half * 128 + l + 32] = d * scale(s + 2) * Float(q2 - 32)
                        y[half * 128 + l + 64] = d * scale(s + 4) * Float(q3 - 32)
                        y[half * 128 + l + 96] = d * scale(s + 6) * Float(q4 - 32)
                    }
                }
            }
        }
    }

    /// The 6-bit scale and min of sub-block `j` (0..<8) in a Q4_K/Q5_K block's 12 scale bytes.
    @inline(__always)
    static func scaleMinK4(_ j: Int, _ q: UnsafeRawPointer) -> (UInt8, UInt8) {
        @inline(__always) func b(_ i: Int) -> UInt8 { q.load(fromByteOffset: i, as: UInt8.self) }
        if j < 4 { return (b(j) & 63, b(j + 4) & 63) }
        return ((b(j + 4) & 0xF) | ((b(j - 4) >> 6) << 4), (b(j + 4) >> 4) | ((b(j) >> 6) << 4))
    }
}

extension GGUFFile {
    /// The whole tensor dequantized to Float32 (a fresh array; for small tensors and tests).
    public func floats(of tensor: GGUFTensorInfo) -> [Float] {
        [Float](unsafeUninitializedCapacity: tensor.elementCount) { buf, n in
            tensor.type.dequantize(data(of: tensor), count: tensor.elementCount, into: buf.baseAddress!)
            n = tensor.elementCount
        }
    }
}
