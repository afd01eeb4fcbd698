import Foundation

/// Numerically stable log-softmax over logit rows, on unsafe buffers without allocation.
///
/// `logSumExp` subtracts the row maximum before exponentiating (so large logits cannot
/// overflow) and uses a vectorized polynomial exp (Cephes-style range reduction, relative
/// error about 2e-7 per term); `logSumExpReference` is its plain twin in Double
/// with libm's exp, and tests pin the two together. O(V) per row.
public enum LogProbabilities {
    /// The largest entry of `row` (-inf for an empty or all -inf row; NaN entries are skipped).
    /// Eight independent running maxima, so the loop is not one long dependency chain.
    public static func maximum(_ row: UnsafeBufferPointer<Float>) -> Float {
        guard let base = row.baseAddress else { return -.infinity }
        let n = row.count
        var m0 = -Float.infinity, m1 = m0, m2 = m0, m3 = m0, m4 = m0, m5 = m0, m6 = m0, m7 = m0
        var i = 0
        while i + 8 <= n {
            let p = base + i
            m0 = p[0] > m0 ? p[0] : m0
            m1 = p[1] > m1 ? p[1] : m1
            m2 = p[2] > m2 ? p[2] : m2
            m3 = p[3] > m3 ? p[3] : m3
            m4 = p[4] > m4 ? p[4] : m4
            m5 = p[5] > m5 ? p[5] : m5
            m6 = p[6] > m6 ? p[6] : m6
            m7 = p[7] > m7 ? p[7] : m7
            i += 8
        }
        m0 = m1 > m0 ? m1 : m0
        m2 = m3 > m2 ? m3 : m2
        m4 = m5 > m4 ? m5 : m4
        m6 = m7 > m6 ? m7 : m6
        m0 = m2 > m0 ? m2 : m0
        m4 = m6 > m4 ? m6 : m4
        var m = m4 > m0 ? m4 : m0
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

    /// Σ exp((x - shift) · scale) over the row. `shift` should be the row maximum and `scale`
    /// positive (1 / temperature), so every exponent is ≤ 0 and nothing overflows; terms below
    /// e^-87 count as e^-87 (at most 1e-33 relative to the maximum's term 1).
    /// Runs in chunks of 256: a branch-free exp loop the compiler vectorizes into a stack
    /// buffer, then an 8-wide sum (a plain reduction loop would not vectorize without
    /// reassociation).
    public static func sumExp(_ row: UnsafeBufferPointer<Float>, subtracting shift: Float, scale: Float) -> Float {
        guard let base = row.baseAddress else { return 0 }
        let n = row.count
        var total: Float = 0
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 256) { chunk in
            let out = chunk.baseAddress!
            var acc = SIMD8<Float>(repeating: 0)
            var start = 0
            while start < n {
                let m = min(256, n - start)
                let src = base + start
                for i in 0..<m { out[i] = FastExp.expClamped((src[i] - shift) * scale) }
                let raw = UnsafeRawPointer(out)
                var i = 0
                while i + 8 <= m {
                    acc += raw.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
                    i += 8
                }
                while i < m {
                    total += out[i]
                    i += 1
                }
                start += m
            }
            total += acc.sum()
        }
        return total
    }

    /// Turns logits into log-probabilities in place: x - logSumExp(x).
    /// An all -inf row is left as it is.
    public static func logSoftmax(_ row: UnsafeMutableBufferPointer<Float>) {
        let z = logSumExp(UnsafeBufferPointer(row))
        guard z.isFinite, let base = row.baseAddress else { return }
        for i in 0..<row.count { base[i] -= z }
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

    /// Branch-free (vectorizable): arguments below -87 are raised to -87.
    @inline(__always)
    static func expClamped(_ x: Float) -> Float {
        let xc = x < lowest ? lowest : x
        let t = xc * log2e + roundingMagic
        let n = t - roundingMagic
        let r = (xc - n * ln2High) - n * ln2Low
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
