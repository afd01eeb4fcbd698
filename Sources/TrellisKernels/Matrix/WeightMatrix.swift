import CTrellisKernels
import TrellisCore

/// A view of a weight matrix W (`rows x cols`, row-major, see `WeightFormat`) stored
/// elsewhere, typically in a memory-mapped GGUF file. Row r starts at
/// `data + r * rowStride` bytes. The matrix does not own its bytes: they must outlive it.
/// Immutable, hence safe to share across threads.
public struct WeightMatrix: @unchecked Sendable {
    public let format: WeightFormat
    public let rows: Int
    public let cols: Int
    public let data: UnsafeRawPointer
    /// Bytes from one row to the next (at least the packed row size).
    public let rowStride: Int

    /// Validates the shape: cols must be a whole number of blocks and the stride hold a row.
    public init(format: WeightFormat, rows: Int, cols: Int, data: UnsafeRawPointer,
                rowStride: Int? = nil) throws {
        guard rows >= 0, cols > 0, let packed = format.rowBytes(cols: cols) else {
            throw TrellisError.invalidArgument(
                "weight matrix \(rows)x\(cols) in \(format): cols must be a positive multiple of \(format.blockSize)")
        }
        let stride = rowStride ?? packed
        guard stride >= packed else {
            throw TrellisError.invalidArgument(
                "weight matrix \(rows)x\(cols) in \(format): row stride \(stride) is below the row size \(packed)")
        }
        self.format = format
        self.rows = rows
        self.cols = cols
        self.data = data
        self.rowStride = stride
    }

    /// Bytes covered by the matrix.
    public var byteCount: Int { rows * rowStride }

    /// Pointer to the first byte of row `r`.
    @inline(__always)
    public func row(_ r: Int) -> UnsafeRawPointer {
        assert(r >= 0 && r < rows)
        return data + r * rowStride
    }

    /// Writes row `r` as float32 into `output[0..<cols]`.
    public func dequantizeRow(_ r: Int, into output: UnsafeMutablePointer<Float>,
                              level: KernelLevel = .best) {
        precondition(r >= 0 && r < rows, "row \(r) outside 0..<\(rows)")
        format.dequantizeRow(row(r), into: output, count: cols, level: level)
    }

    /// Y[i, r] (+)= X[i, :] · W[r, :] for i < n, r in `rowRange`, on the calling thread.
    /// `input` holds n rows of `cols` floats `inputStride` apart; `output` holds n rows
    /// `outputStride` apart, of which the columns in `rowRange` are written.
    @inline(__always)
    public func multiply(input: UnsafePointer<Float>, rows n: Int, inputStride: Int? = nil,
                         output: UnsafeMutablePointer<Float>, outputStride: Int? = nil,
                         rowRange: Range<Int>? = nil, accumulate: Bool = false,
                         level: KernelLevel = .best) {
        let range = rowRange ?? 0..<rows
        precondition(range.lowerBound >= 0 && range.upperBound <= rows, "row range outside 0..<\(rows)")
        trellis_matmul_rows(level.rawValue, format.rawValue, data, rowStride, Int64(cols), input,
                            Int64(inputStride ?? cols), Int64(n), output, Int64(outputStride ?? rows),
                            Int64(range.lowerBound), Int64(range.upperBound), accumulate ? 1 : 0)
    }
}
