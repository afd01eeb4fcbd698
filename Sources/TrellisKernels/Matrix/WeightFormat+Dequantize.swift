import CTrellisKernels

extension WeightFormat {
    /// Writes the first `count` elements of a row stored in this format at `source` into
    /// `output` as float32. Quantized formats need `count` to be a multiple of 32.
    public func dequantizeRow(_ source: UnsafeRawPointer, into output: UnsafeMutablePointer<Float>,
                              count: Int, level: KernelLevel = .best) {
        precondition(count % blockSize == 0, "\(self) rows come in blocks of \(blockSize)")
        trellis_dequantize_row(level.rawValue, rawValue, source, output, Int64(count))
    }

    /// An IEEE half's value (exact).
    @inline(__always)
    public static func halfToFloat(_ bits: UInt16) -> Float { trellis_half_to_float(bits) }
}
