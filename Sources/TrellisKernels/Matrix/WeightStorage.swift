import TrellisCore

/// A weight matrix that owns its bytes (64-byte aligned): for matrices built at run time
/// (a dequantized float32 copy for prefill GEMM, test and benchmark data). `matrix` is valid
/// as long as this object lives. Immutable after construction.
public final class WeightStorage: @unchecked Sendable {
    public let matrix: WeightMatrix
    private let bytes: UnsafeMutableRawPointer

    /// Copies `bytes`, which hold `rows` packed rows in `format`.
    public init(format: WeightFormat, rows: Int, cols: Int, bytes source: [UInt8]) throws {
        guard let rowBytes = format.rowBytes(cols: cols), cols > 0, rows >= 0 else {
            throw TrellisError.invalidArgument("weight matrix \(rows)x\(cols): cols must be a positive multiple of \(format.blockSize) for \(format)")
        }
        guard source.count == rows * rowBytes else {
            throw TrellisError.invalidArgument("weight matrix \(rows)x\(cols) in \(format) needs \(rows * rowBytes) bytes, got \(source.count)")
        }
        let storage = UnsafeMutableRawPointer.allocate(byteCount: max(source.count, 1), alignment: 64)
        source.withUnsafeBytes { storage.copyMemory(from: $0.baseAddress!, byteCount: source.count) }
        bytes = storage
        matrix = try WeightMatrix(format: format, rows: rows, cols: cols, data: storage)
    }

    /// Encodes row-major `values` (rows × cols) in `format` (see `WeightFormat.quantize`).
    public convenience init(quantizing values: [Float], format: WeightFormat, rows: Int, cols: Int) throws {
        guard values.count == rows * cols else {
            throw TrellisError.invalidArgument("\(values.count) values for a \(rows)x\(cols) matrix")
        }
        guard format.rowBytes(cols: cols) != nil else {
            throw TrellisError.invalidArgument("cols \(cols) is not a multiple of \(format.blockSize) for \(format)")
        }
        let encoded = values.withUnsafeBufferPointer { format.quantize($0) }
        try self.init(format: format, rows: rows, cols: cols, bytes: encoded)
    }

    /// A matrix of random bytes made valid: scales d in ±[0.001, 0.02], Q4_1 minimums in
    /// ±0.1, every quant random; F16/F32 elements uniform in [−1, 1]. Deterministic in `seed`.
    public convenience init(randomFormat format: WeightFormat, rows: Int, cols: Int, seed: UInt64) throws {
        guard let rowBytes = format.rowBytes(cols: cols) else {
            throw TrellisError.invalidArgument("cols \(cols) is not a multiple of \(format.blockSize) for \(format)")
        }
        var random = SplitMix64(seed: seed)
        var bytes = [UInt8](repeating: 0, count: rows * rowBytes)
        bytes.withUnsafeMutableBytes { raw in
            func putHalf(_ value: Float, at offset: Int) {
                let h = WeightFormat.floatToHalf(value)
                raw[offset] = UInt8(h & 0xff)
                raw[offset + 1] = UInt8(h >> 8)
            }
            func scale() -> Float {
                let magnitude = 0.001 + 0.019 * random.nextUnit()
                return random.next() & 1 == 0 ? magnitude : -magnitude
            }
            switch format {
            case .f32:
                for i in 0..<rows * cols { raw.storeBytes(of: random.nextUnit() * 2 - 1, toByteOffset: i * 4, as: Float.self) }
            case .f16:
                for i in 0..<rows * cols { putHalf(random.nextUnit() * 2 - 1, at: i * 2) }
            case .q4_0, .q4_1, .q8_0:
                var i = 0
                while i + 8 <= raw.count {
                    raw.storeBytes(of: random.next(), toByteOffset: i, as: UInt64.self)
                    i += 8
                }
                while i < raw.count { raw[i] = UInt8(truncatingIfNeeded: random.next()); i += 1 }
                for block in stride(from: 0, to: raw.count, by: format.bytesPerBlock) {
                    putHalf(scale(), at: block)
                    if format == .q4_1 { putHalf((random.nextUnit() * 2 - 1) * 0.1, at: block + 2) }
                }
            }
        }
        try self.init(format: format, rows: rows, cols: cols, bytes: bytes)
    }

    deinit { bytes.deallocate() }
}
