import Foundation

/// Numerically stable log-softmax over logit rows, on unsafe buffers without allocation.
///
/// `logSumExp` subtracts the row maximum before exponentiating (so large logits cannot
/// overflow) and runs 8-wide SIMD with a polynomial exp (Cephes-style range reduction,
/// relative error about 2e-7 per term); `logSumExpReference` is its plain twin in Double
/// with libm's exp, and tests pin the two together. O(V) per row.
public enum LogProbabilities {
    /// The largest entry of `row` (-inf for an empty or all -inf row). NaN entries are ignored.
    public static func maximum(_ row: UnsafeBufferPointer<Float>) -> Float {
        guard let base = row.baseAddress else { return -.infinity }
        let n = row.count
        var acc = SIMD8<Float>(repeating: -.infinity)
        var i = 0
        let raw = UnsafeRawPointer(base)
        while i + 8 <= n {
            let v = raw.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
            acc = acc.replacing(with: v, where: v .> acc)
            i += 8
        }
        var m = acc.max()
        while i < n {
            if base[i] > m { m = base[i] }
            i += 1
        }
        return m
    }

    /// log Σ exp(x) over the row; -inf for an empty or all -inf row, +inf if any entry is +inf.
    public static func logSumExp(_ row: UnsafeBufferPointer<Float>) -> Float {
        let m = maximum(row)
        guard m.isFinite else { return m }
        return m + Float(log(Double(sumExp(row, subtracting: m, scale: 1))))
    }

    /// Σ exp((x - shift) · scale) over the row, SIMD. `shift` should be the row maximum and
    /// `scale` positive (1 / temperature), so every exponent is ≤ 0 and nothing overflows.
    public static func sumExp(_ row: UnsafeBufferPointer<Float>, subtracting shift: Float, scale: Float) -> Float {
        guard let base = row.baseAddress else { return 0 }
        let n = row.count
        let raw = UnsafeRawPointer(base)
        let shiftV = SIMD8<Float>(repeating: shift), scaleV = SIMD8<Float>(repeating: scale)
        var acc0 = SIMD8<Float>(repeating: 0), acc1 = SIMD8<Float>(repeating: 0)
        var i = 0
        while i + 16 <= n {
            let a = raw.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
            let b = raw.loadUnaligned(fromByteOffset: i * 4 + 32, as: SIMD8<Float>.self)
            acc0 += FastExp.exp((a - shiftV) * scaleV)
            acc1 += FastExp.exp((b - shiftV) * scaleV)
            i += 16
        }
        var total = (acc0 + acc1).sum()
        while i < n {
            total += FastExp.exp((base[i] - shift) * scale)
            i += 1
        }
        return total
    }

    /// Turns logits into log-probabilities in place: x - logSumExp(x).
    /// An all -inf row is left as it is.
    public static func logSoftmax(_ row: UnsafeMutableBufferPointer<Float>) {
        let z = logSumExp(UnsafeBufferPointer(row))
        guard z.isFinite, let base = row.baseAddress else { return }
        let n = row.count
        let raw = UnsafeMutableRawPointer(base)
        let zV = SIMD8<Float>(repeating: z)
        var i = 0
        while i + 8 <= n {
            let v = raw.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
            raw.storeBytes(of: v - zV, toByteOffset: i * 4, as: SIMD8<Float>.self)
            i += 8
        }
        while i < n {
            base[i] -= z
            i += 1
        }
    }

    /// The plain twin of `logSumExp`: Double accumulation with libm's exp.
    public static func logSumExpReference(_ row: UnsafeBufferPointer<Float>) -> Float {
        var m = -Float.infinity
        for v in row where v > m { m = v }
        guard m.isFinite else { return m }
        var s = 0.0
        for v in row { s += Foundation.exp(Double(v - m)) }
        return m + Float(Foundation.log(s))
    }

    /// The indices and values of the `k` largest finite entries, best first, ties to the lower
    /// index (O(n log k); see `TopKSelector` to reuse the buffers).
    public static func topK(_ row: UnsafeBufferPointer<Float>, _ k: Int) -> [(index: Int, value: Float)] {
        var selector = TopKSelector()
        var out: [(index: Int, value: Float)] = []
        selector.select(k, from: row, into: &out)
        return out
    }
}

/// exp(x) for x ≤ 0 by range reduction x = n·ln2 + r, |r| ≤ ln2/2, a degree-6 polynomial for
/// exp(r) (Cephes expf coefficients) and 2^n built in the exponent bits. Arguments below -87
/// (whose exp is under Float's normal range) give 0, as does -inf.
enum FastExp {
    static let log2e: Float = 1.442_695_04
    static let ln2High: Float = 0.693_359_375
    static let ln2Low: Float = -2.121_944_4e-4
    static let lowest: Float = -87
    /// 1.5·2^23: adding it rounds a float of magnitude < 2^22 to an integer held in its low bits.
    static let roundingMagic: Float = 12_582_912

    @inline(__always)
    static func exp(_ x: SIMD8<Float>) -> SIMD8<Float> {
        let underflow = x .< SIMD8(repeating: lowest)
        let xc = x.replacing(with: lowest, where: underflow)
        let t = xc * log2e + roundingMagic
        let n = t - roundingMagic
        let r = (xc - n * ln2High) - n * ln2Low
        var p = SIMD8<Float>(repeating: 1.987_569_15e-4)
        p = p * r + 1.398_199_95e-3
        p = p * r + 8.333_451_9e-3
        p = p * r + 4.166_579_59e-2
        p = p * r + 1.666_666_55e-1
        p = p * r + 5.000_000_12e-1
        p = p * r * r + r + 1
        let ni = unsafeBitCast(t, to: SIMD8<Int32>.self) &- unsafeBitCast(SIMD8<Float>(repeating: roundingMagic), to: SIMD8<Int32>.self)
        let scale = unsafeBitCast((ni &+ 127) &<< 23, to: SIMD8<Float>.self)
        return (p * scale).replacing(with: 0, where: underflow)
    }

    @inline(__always)
    static func exp(_ x: Float) -> Float {
        guard x >= lowest else { return 0 }
        let t = x * log2e + roundingMagic
        let n = t - roundingMagic
        let r = (x - n * ln2High) - n * ln2Low
        var p: Float = 1.987_569_15e-4
        p = p * r + 1.398_199_95e-3
        p = p * r + 8.333_451_9e-3
        p = p * r + 4.166_579_59e-2
        p = p * r + 1.666_666_55e-1
        p = p * r + 5.000_000_12e-1
        p = p * r * r + r + 1
        let ni = Int32(bitPattern: t.bitPattern) &- Int32(bitPattern: roundingMagic.bitPattern)
        return p * Float(bitPattern: UInt32(bitPattern: (ni &+ 127) &<< 23))
    }
}
