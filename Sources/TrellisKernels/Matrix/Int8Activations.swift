import CTrellisKernels
import TrellisCore

/// Activation rows quantized to int8 for the integer products of `WeightMatrix.multiply(packed:)`:
/// each 32-element block gets a float scale d = max|x| / 127 and q = round(x / d) (GGML's Q8
/// activation scheme), plus the float sum of the block for the Q4 formats' min term. Packing n rows
/// of `cols` costs O(n · cols); the buffer only grows, so repeated packing allocates nothing.
///
/// Products on packed rows run on AVX-512 VNNI (`isFast`; a scalar twin elsewhere) for Q4_0,
/// Q4_1 and Q8_0 weights. Their error against the float product is at most, per block, half a
/// quantization step of x (max|x_b| / 254) times Σ|w − c_b| (plus float rounding), where c_b is
/// the block's centre (Q4_1: m + 8·scale; 0 otherwise), whose share uses the float block sum.
/// On SmolLM2-135M this moves logits by up to ~1.3 (rms 0.25), so the runtime keeps it opt-in.
/// Not thread-safe to pack; reading packed rows from many threads is fine.
public final class Int8Activations: @unchecked Sendable {
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

    /// Whether this CPU runs the int8 products on vector integer dot instructions.
    public static let isFast: Bool = trellis_int8_fast() != 0

    /// Whether `format` has an int8 product.
    public static func supports(_ format: WeightFormat) -> Bool { trellis_int8_supports(format.rawValue) != 0 }

    /// Bytes of one packed row.
    public var rowBytes: Int { Int(trellis_int8_row_bytes(Int64(cols))) }

    /// The packed bytes (rows × rowBytes).
    public var bytes: UnsafeRawPointer { UnsafeRawPointer(storage) }

    /// Quantizes `rows` rows of `cols` floats (`stride` apart, default cols) into this buffer.
    /// `cols` must be a positive multiple of 32.
    public func pack(_ x: UnsafePointer<Float>, rows n: Int, cols: Int, stride: Int? = nil,
                     level: KernelLevel = .best) throws {
        guard n >= 0, cols > 0, cols % 32 == 0 else {
            throw TrellisError.invalidArgument("int8 activations need a positive multiple of 32 columns, got \(cols)")
        }
        let needed = n * Int(trellis_int8_row_bytes(Int64(cols)))
        if needed > capacity {
            storage.deallocate()
            capacity = max(needed, capacity + capacity / 2)
            storage = .allocate(byteCount: capacity, alignment: 64)
        }
        rows = n
        self.cols = cols
        trellis_quantize_activations(level.rawValue, x, Int64(stride ?? cols), Int64(n), Int64(cols), storage)
    }
}

extension WeightMatrix {
    /// Y[i, r] (+)= packed row i · W[r, :] for every packed row i and r in `rowRange`, on the
    /// calling thread, with integer block dot products (see `Int8Activations`). The format must
    /// be Q4_0, Q4_1 or Q8_0 and the packed rows as long as a weight row. `.scalar` runs the
    /// scalar twin; other levels the VNNI kernel where the CPU has it.
    @inline(__always)
    public func multiply(packed: Int8Activations, output: UnsafeMutablePointer<Float>,
                         outputStride: Int? = nil, rowRange: Range<Int>? = nil,
                         accumulate: Bool = false, level: KernelLevel = .best) {
        let range = rowRange ?? 0..<rows
        precondition(range.lowerBound >= 0 && range.upperBound <= rows, "row range outside 0..<\(rows)")
        precondition(packed.cols == cols && Int8Activations.supports(format),
                     "int8 product of \(format) \(rows)x\(cols) with packed rows of \(packed.cols)")
        trellis_matmul_rows_int8(level.rawValue, format.rawValue, data, rowStride, Int64(cols),
                                 packed.bytes, Int64(packed.rows), output, Int64(outputStride ?? rows),
                                 Int64(range.lowerBound), Int64(range.upperBound), accumulate ? 1 : 0)
    }
}
