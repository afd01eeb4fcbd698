import COpenBLAS

/// The OpenBLAS entry points the runtime uses: a float32 GEMM in the module's convention
/// (`Y = X · Wᵀ`, for prefill over weights dequantized once) and which kernels OpenBLAS runs.
/// Debian's OpenBLAS 0.3.21 does not recognise some recent CPUs and falls back to slow SSE3
/// ("Prescott") kernels; `OPENBLAS_CORETYPE` set before the process starts selects others.
public enum BLAS {
    /// The OpenBLAS kernel family in use, e.g. "SkylakeX", "Haswell", "Prescott".
    public static var coreName: String {
        guard let name = openblas_get_corename() else { return "unknown" }
        return String(cString: name)
    }

    /// OpenBLAS's own thread count (it keeps a separate pool from `ComputePool`).
    public static var threadCount: Int {
        get { Int(openblas_get_num_threads()) }
        set { openblas_set_num_threads(Int32(newValue)) }
    }

    /// `Y[n x rows] = X[n x cols] · Wᵀ (+ Y if accumulate)` with W a float32 `rows x cols`
    /// row-major matrix. Strides in floats default to the packed widths. O(n · rows · cols).
    public static func multiplyTransposed(input x: UnsafePointer<Float>, rows n: Int, cols: Int,
                                          weights w: UnsafePointer<Float>, weightRows rows: Int,
                                          output y: UnsafeMutablePointer<Float>, accumulate: Bool = false,
                                          inputStride: Int? = nil, weightStride: Int? = nil,
                                          outputStride: Int? = nil) {
        guard n > 0, rows > 0, cols > 0 else { return }
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(n), Int32(rows), Int32(cols), 1,
                    x, Int32(inputStride ?? cols), w, Int32(weightStride ?? cols),
                    accumulate ? 1 : 0, y, Int32(outputStride ?? rows))
    }
}
