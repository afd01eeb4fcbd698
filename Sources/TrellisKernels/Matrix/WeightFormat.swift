import CTrellisKernels

/// The storage format of a weight matrix, with its GGML type id as raw value.
///
/// Conventions of the whole module (stated once): matrices are row-major; a weight matrix W
/// has `rows x cols` elements and is quantized in blocks of 32 consecutive elements of a row;
/// a product computes `Y[n x rows] = X[n x cols] · Wᵀ`, i.e. `Y[i, r] = Σₖ X[i, k] · W[r, k]`,
/// with float32 activations (weights are widened, inputs never quantized), except in the opt-in
/// integer products of `Int8Activations`.
/// Block layouts (GGML): Q4_0 = {f16 d, 16 bytes of nibbles}, element j<16 = d·((q[j]&15)−8),
/// element j+16 = d·((q[j]>>4)−8); Q4_1 = {f16 d, f16 m, 16 bytes}, element = d·nibble + m with
/// the same nibble order; Q8_0 = {f16 d, 32 × int8}, element = d·q. F32/F16 store elements.
public enum WeightFormat: Int32, Sendable, CaseIterable, CustomStringConvertible {
    case f32 = 0
    case f16 = 1
    case q4_0 = 2
    case q4_1 = 3
    case q8_0 = 8

    /// Elements per block (1 for the plain float formats).
    public var blockSize: Int {
        switch self {
        case .f32, .f16: return 1
        case .q4_0, .q4_1, .q8_0: return 32
        }
    }

    /// Bytes per block.
    public var bytesPerBlock: Int {
        switch self {
        case .f32: return 4
        case .f16: return 2
        case .q4_0: return 18
        case .q4_1: return 20
        case .q8_0: return 34
        }
    }

    /// Bytes of a row of `cols` elements, or nil when `cols` is not a whole number of blocks.
    public func rowBytes(cols: Int) -> Int? {
        guard cols >= 0, cols % blockSize == 0 else { return nil }
        return cols / blockSize * bytesPerBlock
    }

    public var description: String {
        switch self {
        case .f32: return "F32"
        case .f16: return "F16"
        case .q4_0: return "Q4_0"
        case .q4_1: return "Q4_1"
        case .q8_0: return "Q8_0"
        }
    }
}
