// Plain SIMD vector operations of the forward pass, on raw float pointers.
//
// They are written with Swift's portable SIMD types, so they compile for every x86-64 and
// aarch64 target; each has a scalar twin in the tests. Vectors are contiguous float32.

@inline(__always)
func load16(_ p: UnsafePointer<Float>) -> SIMD16<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD16<Float>.self)
}

@inline(__always)
func store16(_ v: SIMD16<Float>, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD16<Float>.self)
}

/// Σ a[i]·b[i] over n elements.
@inline(__always)
func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) -> Float {
    var acc0 = SIMD16<Float>(), acc1 = SIMD16<Float>()
    var i = 0
    while i + 32 <= n {
        acc0 += load16(a + i) * load16(b + i)
        acc1 += load16(a + i + 16) * load16(b + i + 16)
        i += 32
    }
    if i + 16 <= n {
        acc0 += load16(a + i) * load16(b + i)
        i += 16
    }
    var s = (acc0 + acc1).sum()
    while i < n {
        s += a[i] * b[i]
        i += 1
    }
    return s
}

/// y[i] += a·x[i] over n elements.
@inline(__always)
func addScaled(_ y: UnsafeMutablePointer<Float>, _ a: Float, _ x: UnsafePointer<Float>, _ n: Int) {
    var i = 0
    let av = SIMD16<Float>(repeating: a)
    while i + 16 <= n {
        store16(load16(y + i) + av * load16(x + i), y + i)
        i += 16
    }
    while i < n {
        y[i] += a * x[i]
        i += 1
    }
}

/// out = x / sqrt(mean(x²) + eps) · weight. `out` may equal `x`.
@inline(__always)
func rmsNorm(_ x: UnsafePointer<Float>, weight: UnsafePointer<Float>, epsilon: Float,
             into out: UnsafeMutablePointer<Float>, count n: Int) {
    let meanSquare = dot(x, x, n) / Float(n)
    let scale = 1 / (meanSquare + epsilon).squareRoot()
    let sv = SIMD16<Float>(repeating: scale)
    var i = 0
    while i + 16 <= n {
        store16(load16(x + i) * sv * load16(weight + i), out + i)
        i += 16
    }
    while i < n {
        out[i] = x[i] * scale * weight[i]
        i += 1
    }
}

/// e^x for 16 lanes: range reduction by powers of two and a degree-6 minimax polynomial on
/// [-ln2/2, ln2/2] (the Cephes `expf` scheme, about 1 ulp). Inputs are clamped to
/// [-87.3, 88], so the result is always finite and positive.
@inline(__always)
func exp16(_ x: SIMD16<Float>) -> SIMD16<Float> {
    let v = pointwiseMax(pointwiseMin(x, SIMD16(repeating: 88.0)), SIMD16(repeating: -87.3))
    // Adding 1.5·2^23 rounds to an integer held in the low mantissa bits.
    let magic = SIMD16<Float>(repeating: 12_582_912.0)
    let t = v * 1.442_695_040_888_963_4 + magic
    let n = t - magic
    let nBits = unsafeBitCast(t, to: SIMD16<UInt32>.self) &- SIMD16(repeating: (12_582_912.0 as Float).bitPattern)
    var r = v - n * 0.693_359_375
    r = r - n * -2.121_944_4e-4
    var p = SIMD16<Float>(repeating: 1.987_569_150_0e-4)
    p = p * r + 1.398_199_950_7e-3
    p = p * r + 8.333_451_907_3e-3
    p = p * r + 4.166_579_589_4e-2
    p = p * r + 1.666_666_545_9e-1
    p = p * r + 5.000_000_120_1e-1
    let e = p * (r * r) + r + 1
    let scale = unsafeBitCast((nBits &+ 127) &<< 23, to: SIMD16<Float>.self)
    return e * scale
}

/// Scalar e^x through the same polynomial, for tails shorter than 16 lanes.
@inline(__always)
func exp1(_ x: Float) -> Float {
    exp16(SIMD16(repeating: x))[0]
}

/// In place: row[i] = exp(row[i] - max) / Σ, over n > 0 elements.
func softmaxInPlace(_ row: UnsafeMutablePointer<Float>, _ n: Int) {
    var m = -Float.infinity
    var i = 0
    var mv = SIMD16<Float>(repeating: -.infinity)
    while i + 16 <= n {
        mv = pointwiseMax(mv, load16(row + i))
        i += 16
    }
    m = mv.max()
    while i < n {
        m = max(m, row[i])
        i += 1
    }
    let shift = SIMD16<Float>(repeating: m)
    var sv = SIMD16<Float>()
    i = 0
    while i + 16 <= n {
        let e = exp16(load16(row + i) - shift)
        store16(e, row + i)
        sv += e
        i += 16
    }
    var s = sv.sum()
    while i < n {
        let e = exp1(row[i] - m)
        row[i] = e
        s += e
        i += 1
    }
    let inv = SIMD16<Float>(repeating: 1 / s)
    i = 0
    while i + 16 <= n {
        store16(load16(row + i) * inv, row + i)
        i += 16
    }
    let invS = 1 / s
    while i < n {
        row[i] *= invS
        i += 1
    }
}

/// In place: gate[i] = silu(gate[i]) · up[i], silu(g) = g / (1 + e^-g).
func siluMultiply(_ gate: UnsafeMutablePointer<Float>, _ up: UnsafePointer<Float>, _ n: Int) {
    var i = 0
    let one = SIMD16<Float>(repeating: 1)
    while i + 16 <= n {
        let g = load16(gate + i)
        store16(g / (one + exp16(-g)) * load16(up + i), gate + i)
        i += 16
    }
    while i < n {
        let g = gate[i]
        gate[i] = g / (1 + exp1(-g)) * up[i]
        i += 1
    }
}

/// y[i] += x[i] over n elements.
@inline(__always)
func addInPlace(_ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, _ n: Int) {
    var i = 0
    while i + 16 <= n {
        store16(load16(y + i) + load16(x + i), y + i)
        i += 16
    }
    while i < n {
        y[i] += x[i]
        i += 1
    }
}
