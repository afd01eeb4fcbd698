import CTrellisKernels
import TrellisCore

/// Activation rows quantized to int16 for the integer products of `InterleavedWeights`: each
/// 32-element block gets a float scale d = max|x| / 32767 and q = round(x / d), plus the float
/// sum of the block (for the Q4 formats' offset term). The only error this adds to a product is
/// the rounding of x, at most max|x_b| / 65534 per element. Packing n rows of `cols` costs
/// O(n · cols); the buffer only grows, so repeated packing allocates nothing. Not thread-safe to
/// pack; reading packed rows from many threads is fine.
public final class Int16Activations: @unchecked Sendable {
    /// Packed rows currently held, and their length in elements.
    public private(set) var rows = 0
    public private(set) var cols = 0
    private var storage: UnsafeMutableRawPointer
    private var capacity: Int

    public init() {
        capacity = 256
        storage = .allocate(byteCount: capacity, alignment: 64)
    }

    deinit { storage.deallocate() }

    /// Bytes of one packed row.
    public var rowBytes: Int { Int(trellis_int16_row_bytes(Int64(cols))) }

    /// The packed bytes (rows × rowBytes).
    public var bytes: UnsafeRawPointer { UnsafeRawPointer(storage) }

    /// Sizes the buffer for `rows` rows of `cols` floats (a positive multiple of 32) without
    /// packing any: the rows are then packed one by one with `packRow`, possibly from several
    /// threads (each writing its own rows).
    public func reserve(rows n: Int, cols: Int) throws {
        guard n >= 0, cols > 0, cols % 32 == 0 else {
            throw TrellisError.invalidArgument("int16 activations need a positive multiple of 32 columns, got \(cols)")
        }
        let needed = n * Int(trellis_int16_row_bytes(Int64(cols)))
        if needed > capacity {
            storage.deallocate()
            capacity = max(needed, capacity + capacity / 2)
            storage = .allocate(byteCount: capacity, alignment: 64)
        }
        rows = n
        self.cols = cols
    }

    /// Quantizes `cols` floats at `x` into row `i` (< rows) of a buffer sized by `reserve`.
    @inline(__always)
    public func packRow(_ x: UnsafePointer<Float>, at i: Int, level: KernelLevel = .best) {
        precondition(i >= 0 && i < rows, "row \(i) outside 0..<\(rows)")
        trellis_quantize_activations_int16(level.rawValue, x, Int64(cols), 1, Int64(cols), storage + i * rowBytes)
    }

    /// Quantizes `rows` rows of `cols` floats (`stride` apart, default cols) into this buffer.
    /// `cols` must be a positive multiple of 32.
    public func pack(_ x: UnsafePointer<Float>, rows n: Int, cols: Int, stride: Int? = nil,
                     level: KernelLevel = .best) throws {
        guard n >= 0, cols > 0, cols % 32 == 0 else {
            throw TrellisError.invalidArgument("int16 activations need a positive multiple of 32 columns, got \(cols)")
        }
        try reserve(rows: n, cols: cols)
        trellis_quantize_activations_int16(level.rawValue, x, Int64(stride ?? cols), Int64(n), Int64(cols), storage)
    }
}
