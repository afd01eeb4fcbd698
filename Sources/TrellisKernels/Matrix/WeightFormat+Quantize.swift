import CTrellisKernels

extension WeightFormat {
    /// Float to IEEE half bits, rounding to nearest even.
    @inline(__always)
    public static func floatToHalf(_ value: Float) -> UInt16 { trellis_float_to_half(value) }

    /// Encodes `values` (a whole number of blocks; any length for F32/F16) in this format,
    /// following GGML's reference quantizers: Q8_0 scales by max|x|/127 and rounds; Q4_0
    /// takes d = (signed value of largest magnitude)/−8 and q = min(15, ⌊x/d + 8.5⌋); Q4_1
    /// takes d = (max − min)/15, m = min and q = min(15, ⌊(x − m)/d + 0.5⌋). A reference
    /// for tests and small tools, not a hot path. O(count).
    public func quantize(_ values: UnsafeBufferPointer<Float>) -> [UInt8] {
        precondition(values.count % blockSize == 0, "\(self) needs whole blocks of \(blockSize)")
        var out = [UInt8]()
        out.reserveCapacity(values.count / blockSize * bytesPerBlock)
        func appendHalf(_ v: Float) {
            let h = WeightFormat.floatToHalf(v)
            out.append(UInt8(h & 0xff))
            out.append(UInt8(h >> 8))
        }
        switch self {
        case .f32:
            for v in values { withUnsafeBytes(of: v.bitPattern.littleEndian) { out.append(contentsOf: $0) } }
        case .f16:
            for v in values { appendHalf(v) }
        case .q8_0:
            for start in stride(from: 0, to: values.count, by: 32) {
                let block = values[start..<start + 32]
                let amax = block.reduce(Float(0)) { max($0, abs($1)) }
                let d = amax / 127
                let inverse: Float = d != 0 ? 1 / d : 0
                appendHalf(d)
                for v in block { out.append(UInt8(bitPattern: Int8((v * inverse).rounded()))) }
            }
        case .q4_0:
            for start in stride(from: 0, to: values.count, by: 32) {
                let block = values[start..<start + 32]
                var extreme: Float = 0
                for v in block where abs(v) > abs(extreme) { extreme = v }
                let d = extreme / -8
                let inverse: Float = d != 0 ? 1 / d : 0
                appendHalf(d)
                for j in 0..<16 {
                    let lo = min(15, max(0, Int((values[start + j] * inverse + 8.5).rounded(.down))))
                    let hi = min(15, max(0, Int((values[start + j + 16] * inverse + 8.5).rounded(.down))))
                    out.append(UInt8(lo | hi << 4))
                }
            }
        case .q4_1:
            for start in stride(from: 0, to: values.count, by: 32) {
                let block = values[start..<start + 32]
                let low = block.min()!, high = block.max()!
                let d = (high - low) / 15
                let inverse: Float = d != 0 ? 1 / d : 0
                appendHalf(d)
                appendHalf(low)
                for j in 0..<16 {
                    let lo = min(15, max(0, Int(((values[start + j] - low) * inverse + 0.5).rounded(.down))))
                    let hi = min(15, max(0, Int(((values[start + j + 16] - low) * inverse + 0.5).rounded(.down))))
                    out.append(UInt8(lo | hi << 4))
                }
            }
        }
        return out
    }
}
