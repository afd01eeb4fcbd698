import CTrellisKernels

/// Element-wise and reduction operations on float32 vectors used by the forward pass, each
/// SIMD at the chosen `KernelLevel` with a scalar twin (`level: .scalar`). All are O(count).
/// Output pointers may equal input pointers (in place) but must not overlap them otherwise.
/// The exponential of the SIMD levels is a range-reduced degree-7 polynomial, within a few
/// float ulps of libm's `expf`.
public enum VectorMath {
    /// output = x / sqrt(mean(x²) + epsilon) · weight.
    @inline(__always)
    public static func rmsNorm(_ x: UnsafePointer<Float>, weight: UnsafePointer<Float>, epsilon: Float,
                               output: UnsafeMutablePointer<Float>, count: Int, level: KernelLevel = .best) {
        trellis_rms_norm(level.rawValue, x, weight, epsilon, output, Int64(count))
    }

    /// x = softmax(x), max-subtracted (any finite input).
    @inline(__always)
    public static func softmax(_ x: UnsafeMutablePointer<Float>, count: Int, level: KernelLevel = .best) {
        trellis_softmax(level.rawValue, x, Int64(count))
    }

    /// x = log(softmax(x)).
    @inline(__always)
    public static func logSoftmax(_ x: UnsafeMutablePointer<Float>, count: Int, level: KernelLevel = .best) {
        trellis_log_softmax(level.rawValue, x, Int64(count))
    }

    /// output = silu(gate) · up, silu(g) = g / (1 + e^−g) (the SwiGLU feed-forward gate).
    @inline(__always)
    public static func siluMultiply(gate: UnsafePointer<Float>, up: UnsafePointer<Float>,
                                    output: UnsafeMutablePointer<Float>, count: Int, level: KernelLevel = .best) {
        trellis_silu_mul(level.rawValue, gate, up, output, Int64(count))
    }

    /// y += x.
    @inline(__always)
    public static func add(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count: Int,
                           level: KernelLevel = .best) {
        trellis_add(level.rawValue, y, x, Int64(count))
    }

    /// y += a · x.
    @inline(__always)
    public static func addScaled(_ x: UnsafePointer<Float>, by a: Float, into y: UnsafeMutablePointer<Float>,
                                 count: Int, level: KernelLevel = .best) {
        trellis_axpy(level.rawValue, y, a, x, Int64(count))
    }

    /// x *= a.
    @inline(__always)
    public static func scale(_ x: UnsafeMutablePointer<Float>, by a: Float, count: Int, level: KernelLevel = .best) {
        trellis_scale(level.rawValue, x, a, Int64(count))
    }

    /// Σ x[i] · y[i].
    @inline(__always)
    public static func dot(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, count: Int,
                           level: KernelLevel = .best) -> Float {
        trellis_dot(level.rawValue, x, y, Int64(count))
    }
}
