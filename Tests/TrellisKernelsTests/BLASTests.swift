import TrellisKernels
import XCTest

/// The sgemm wrapper follows the module's convention (Y = X · Wᵀ) like the F32 kernel.
final class BLASTests: XCTestCase {
    func testMultiplyTransposedMatchesKernel() throws {
        let (n, rows, cols) = (5, 33, 70)
        let w = randomFloats(rows * cols, seed: 1), x = randomFloats(n * cols, seed: 2)
        let storage = try WeightStorage(quantizing: w, format: .f32, rows: rows, cols: cols)
        var kernel = [Float](repeating: 0, count: n * rows)
        x.withUnsafeBufferPointer { storage.matrix.multiply(input: $0.baseAddress!, rows: n, output: &kernel, level: .scalar) }
        var blas = [Float](repeating: 1, count: n * rows)
        BLAS.multiplyTransposed(input: x, rows: n, cols: cols, weights: w, weightRows: rows, output: &blas)
        for i in 0..<blas.count { XCTAssertEqual(blas[i], kernel[i], accuracy: 1e-4) }
        BLAS.multiplyTransposed(input: x, rows: n, cols: cols, weights: w, weightRows: rows, output: &blas, accumulate: true)
        for i in 0..<blas.count { XCTAssertEqual(blas[i], 2 * kernel[i], accuracy: 2e-4) }
        XCTAssertFalse(BLAS.coreName.isEmpty)
    }
}
