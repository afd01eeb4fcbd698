import TrellisCore
import TrellisKernels
import XCTest

/// Relative tolerance of a fast kernel against the scalar reference, measured against the
/// magnitude sum Σ|w·x| of the dot product (float32 rounding grows with it, not with |Σ w·x|).
let kernelRelativeTolerance: Double = 1e-5

/// Random float32 rows in [−1, 1], deterministic in `seed`.
func randomFloats(_ count: Int, seed: UInt64) -> [Float] {
    var random = SplitMix64(seed: seed)
    return (0..<count).map { _ in random.nextUnit() * 2 - 1 }
}

/// Σ|W[r, k]·x[k]| in double from the scalar dequantization, the scale of a product's error.
func magnitudeSums(_ w: WeightMatrix, input x: [Float], n: Int, ldx: Int) -> [[Double]] {
    var row = [Float](repeating: 0, count: w.cols)
    var sums = [[Double]](repeating: [Double](repeating: 0, count: w.rows), count: n)
    for r in 0..<w.rows {
        row.withUnsafeMutableBufferPointer { w.dequantizeRow(r, into: $0.baseAddress!, level: .scalar) }
        for i in 0..<n {
            var s = 0.0
            for k in 0..<w.cols { s += abs(Double(row[k]) * Double(x[i * ldx + k])) }
            sums[i][r] = s
        }
    }
    return sums
}
