import TrellisKernels

// The vector operations of the forward pass, on raw float pointers, forwarded to TrellisKernels'
// SIMD implementations (chosen at run time for the CPU; scalar twins tested there).

/// Σ a[i]·b[i] over n elements.
@inline(__always)
func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) -> Float {
    VectorMath.dot(a, b, count: n)
}

/// y[i] += a·x[i] over n elements.
@inline(__always)
func addScaled(_ y: UnsafeMutablePointer<Float>, _ a: Float, _ x: UnsafePointer<Float>, _ n: Int) {
    VectorMath.addScaled(x, by: a, into: y, count: n)
}

/// out = x / sqrt(mean(x²) + eps) · weight. `out` may equal `x`.
@inline(__always)
func rmsNorm(_ x: UnsafePointer<Float>, weight: UnsafePointer<Float>, epsilon: Float,
             into out: UnsafeMutablePointer<Float>, count n: Int) {
    VectorMath.rmsNorm(x, weight: weight, epsilon: epsilon, output: out, count: n)
}

/// In place: row[i] = exp(row[i] - max) / Σ, over n > 0 elements.
@inline(__always)
func softmaxInPlace(_ row: UnsafeMutablePointer<Float>, _ n: Int) {
    VectorMath.softmax(row, count: n)
}

/// In place: gate[i] = silu(gate[i]) · up[i], silu(g) = g / (1 + e^-g).
@inline(__always)
func siluMultiply(_ gate: UnsafeMutablePointer<Float>, _ up: UnsafePointer<Float>, _ n: Int) {
    VectorMath.siluMultiply(gate: gate, up: up, output: gate, count: n)
}

/// y[i] += x[i] over n elements.
@inline(__always)
func addInPlace(_ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, _ n: Int) {
    VectorMath.add(x, into: y, count: n)
}
