/// Rotary position embedding (RoPE; Su et al., "RoFormer", 2021) with cos/sin tables grown on
/// demand: position p, frequency i has angle p·base^(-2i/n) / factor_i (factors from
/// `rope_freqs.weight` when present), computed in Double and rounded to Float once.
///
/// Table memory is O(positions · n/2); applying it to one head is O(n).
final class RotaryEmbedding {
    let style: RopeStyle
    /// Rotated dimensions per head (even).
    let dims: Int
    private let inverseFrequencies: [Double]   // [dims/2]
    private var cosines: [Float] = []          // [positions × dims/2]
    private var sines: [Float] = []
    private(set) var positions = 0

    init(style: RopeStyle, dims: Int, base: Double, factors: [Float]?) {
        self.style = style
        self.dims = dims
        let half = dims / 2
        inverseFrequencies = (0..<half).map { i in
            let f = pow(base, -Double(2 * i) / Double(dims))
            return f / Double(factors?[i] ?? 1)
        }
    }

    /// Makes sure positions 0..<count have table rows.
    func reserve(positions count: Int) {
        guard count > positions else { return }
        let target = max(count, min(positions * 2, count + 4096), 256)
        let half = dims / 2
        cosines.reserveCapacity(target * half)
        sines.reserveCapacity(target * half)
        for p in positions..<target {
            for i in 0..<half {
                let angle = Double(p) * inverseFrequencies[i]
                cosines.append(Float(cos(angle)))
                sines.append(Float(sin(angle)))
            }
        }
        positions = target
    }

    /// Rotates `heads` consecutive head vectors of width `headDim` at `x` for `position`.
    @inline(__always)
    func apply(_ x: UnsafeMutablePointer<Float>, heads: Int, headDim: Int, position: Int) {
        let half = dims / 2
        cosines.withUnsafeBufferPointer { cosTable in
            sines.withUnsafeBufferPointer { sinTable in
                let c = cosTable.baseAddress! + position * half
                let s = sinTable.baseAddress! + position * half
                for h in 0..<heads {
                    let v = x + h * headDim
                    switch style {
                    case .adjacentPairs:
                        for i in 0..<half {
                            let x0 = v[2 * i], x1 = v[2 * i + 1]
                            v[2 * i] = x0 * c[i] - x1 * s[i]
                            v[2 * i + 1] = x0 * s[i] + x1 * c[i]
                        }
                    case .halfSplit:
                        for i in 0..<half {
                            let x0 = v[i], x1 = v[i + half]
                            v[i] = x0 * c[i] - x1 * s[i]
                            v[i + half] = x0 * s[i] + x1 * c[i]
                        }
                    }
                }
            }
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
