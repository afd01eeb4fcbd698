import COpenBLAS
import TrellisGGUF

/// One weight matrix W [rows × columns] of a linear layer, applied as Y[n × rows] = X[n × columns] · Wᵀ
/// (row-major activations, one output feature per weight row, as GGUF stores them).
///
/// The quantized bytes stay in the file mapping. Few activation rows (decode, small beams) run
/// matrix-vector kernels straight on the quantized blocks (Q4_1, Q8_0; O(rows·columns·n) work,
/// weights read once per call); many rows (prefill) run OpenBLAS `sgemm` over a float32 copy
/// dequantized on first such use and kept (4 bytes per weight). Types without a quantized
/// kernel always take the float32 path, so every `GGMLType` is correct, if not fast.
final class LinearWeight {
    let name: String
    let type: GGMLType
    /// Output features.
    let rows: Int
    /// Input features.
    let columns: Int
    /// Row-major quantized rows in the mapping, `rowBytes` apart.
    let quantized: UnsafeRawPointer
    let rowBytes: Int
    /// float32 copy [rows × columns], made lazily (or the mapping itself for F32 tensors).
    private var dense: UnsafePointer<Float>?
    private var ownsDense = false
    let kernel: QuantizedKernel?

    /// At or above this many activation rows, `sgemm` over float32 weights wins.
    static let denseRowThreshold = 16

    init(name: String, type: GGMLType, rows: Int, columns: Int, data: UnsafeRawPointer) {
        self.name = name
        self.type = type
        self.rows = rows
        self.columns = columns
        self.quantized = data
        self.rowBytes = type.byteCount(elements: columns)
        self.kernel = QuantizedKernel(type: type)
        if type == .f32 { dense = UnsafePointer(data.assumingMemoryBound(to: Float.self)) }
    }

    deinit {
        if ownsDense, let dense { UnsafeMutablePointer(mutating: dense).deallocate() }
    }

    /// Bytes held by the float32 copy, if one was made.
    var denseBytes: Int { ownsDense ? rows * columns * 4 : 0 }

    /// Dequantizes row `r` into `out` (columns floats).
    func dequantizeRow(_ r: Int, into out: UnsafeMutablePointer<Float>) {
        type.dequantize(quantized + r * rowBytes, count: columns, into: out)
    }

    /// The float32 matrix, dequantizing it on first use.
    func denseMatrix(_ loop: ParallelLoop) -> UnsafePointer<Float> {
        if let dense { return dense }
        let m = UnsafeMutablePointer<Float>.allocate(capacity: rows * columns)
        let box = UncheckedSendable(m)
        loop.forEachChunk(rows, grain: 64) { range in
            for r in range { self.dequantizeRow(r, into: box.value + r * self.columns) }
        }
        dense = UnsafePointer(m)
        ownsDense = true
        return dense!
    }

    /// Y[n × rows] = X[n × columns] · Wᵀ.
    func apply(_ x: UnsafePointer<Float>, count n: Int, into y: UnsafeMutablePointer<Float>, loop: ParallelLoop) {
        guard n > 0 else { return }
        if let kernel, n < Self.denseRowThreshold {
            let xs = UncheckedSendable(x), ys = UncheckedSendable(y)
            loop.forEachChunk(rows, grain: 32) { range in
                kernel.multiply(weights: self.quantized, rowBytes: self.rowBytes, rowRange: range,
                                columns: self.columns, x: xs.value, count: n,
                                y: ys.value, yStride: self.rows)
            }
            return
        }
        let w = denseMatrix(loop)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(n), Int32(rows), Int32(columns),
                    1, x, Int32(columns), w, Int32(columns), 0, y, Int32(rows))
    }

    /// Applies two or three matrices that read the same input (q/k/v, gate/up) in one parallel
    /// section over their rows together, so short decode steps pay one dispatch, not three.
    static func apply(_ parts: (LinearWeight, UnsafeMutablePointer<Float>),
                      _ more: (LinearWeight, UnsafeMutablePointer<Float>),
                      _ last: (LinearWeight, UnsafeMutablePointer<Float>)? = nil,
                      input x: UnsafePointer<Float>, count n: Int, loop: ParallelLoop) {
        let all = [parts, more] + (last.map { [$0] } ?? [])
        guard n < denseRowThreshold, all.allSatisfy({ $0.0.kernel != nil && $0.0.columns == parts.0.columns }) else {
            for (w, y) in all { w.apply(x, count: n, into: y, loop: loop) }
            return
        }
        let total = all.reduce(0) { $0 + $1.0.rows }
        let box = UncheckedSendable((all, x))
        loop.forEachChunk(total, grain: 32) { range in
            let (all, x) = box.value
            var base = 0
            for (w, y) in all {
                let lo = max(range.lowerBound - base, 0), hi = min(range.upperBound - base, w.rows)
                if lo < hi {
                    w.kernel!.multiply(weights: w.quantized, rowBytes: w.rowBytes, rowRange: lo..<hi,
                                       columns: w.columns, x: x, count: n, y: y, yStride: w.rows)
                }
                base += w.rows
            }
        }
    }

    /// Plain twin of `apply` for tests: dequantize each row, scalar dot products in Double.
    func applyReference(_ x: UnsafePointer<Float>, count n: Int, into y: UnsafeMutablePointer<Float>) {
        let row = UnsafeMutablePointer<Float>.allocate(capacity: columns)
        defer { row.deallocate() }
        for r in 0..<rows {
            dequantizeRow(r, into: row)
            for i in 0..<n {
                var s = 0.0
                for c in 0..<columns { s += Double(row[c]) * Double(x[i * columns + c]) }
                y[i * rows + r] = Float(s)
            }
        }
    }
}
