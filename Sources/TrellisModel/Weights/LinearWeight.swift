import Glibc
import COpenBLAS
import TrellisGGUF
import TrellisKernels

/// One weight matrix W [rows × columns] of a linear layer, applied as Y[n × rows] = X[n × columns] · Wᵀ
/// (row-major activations, one output feature per weight row, as GGUF stores them).
///
/// The quantized bytes stay in the file mapping. Products run TrellisKernels' kernels straight
/// on the quantized blocks (F32, F16, Q4_0, Q4_1, Q8_0; SIMD chosen at run time; weights read
/// once per call for all n rows) unless n reaches `denseRowThreshold` for this CPU, where
/// OpenBLAS `sgemm` over a float32 copy (dequantized on first such use and kept, 4 bytes per
/// weight) is faster. Other types always take the float32 path: correct, if not fast.
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
    /// The same bytes as a kernel matrix, when TrellisKernels has a product for the type.
    let matrix: WeightMatrix?
    /// float32 copy [rows × columns], made lazily (or the mapping itself for F32 tensors).
    private var dense: UnsafePointer<Float>?
    private var ownsDense = false

    /// At or above this many activation rows, `sgemm` over float32 weights beats the kernels.
    /// Measured on an AVX-512 machine: the AVX-512 Q4_1 kernel runs 80-90 GMAC/s at every row
    /// count against 35-60 for OpenBLAS sgemm (Haswell kernels), so it never hands over (and
    /// no float32 copies are made); the AVX2 kernel runs ~40 GMAC/s, below sgemm from 64 rows;
    /// the portable 128-bit kernel is far below sgemm beyond a few rows.
    static let defaultDenseRowThreshold: Int = {
        switch KernelLevel.fastest {
        case .avx512: return Int.max
        case .avx2: return 32
        default: return 4
        }
    }()

    init(name: String, type: GGMLType, rows: Int, columns: Int, data: UnsafeRawPointer) {
        self.name = name
        self.type = type
        self.rows = rows
        self.columns = columns
        self.quantized = data
        self.rowBytes = type.byteCount(elements: columns)
        if let format = WeightFormat(rawValue: Int32(type.rawValue)) {
            matrix = try? WeightMatrix(format: format, rows: rows, cols: columns, data: data)
        } else {
            matrix = nil
        }
        if type == .f32 { dense = UnsafePointer(data.assumingMemoryBound(to: Float.self)) }
    }

    deinit {
        if ownsDense, let dense { UnsafeMutablePointer(mutating: dense).deallocate() }
    }

    /// Bytes held by the float32 copy, if one was made.
    var denseBytes: Int { ownsDense ? rows * columns * 4 : 0 }

    /// Dequantizes row `r` into `out` (columns floats).
    func dequantizeRow(_ r: Int, into out: UnsafeMutablePointer<Float>) {
        if let matrix {
            matrix.dequantizeRow(r, into: out)
        } else {
            type.dequantize(quantized + r * rowBytes, count: columns, into: out)
        }
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

    /// At or above this many activation rows, products on Q4_0/Q4_1/Q8_0 weights quantize the
    /// activations to int8 once per product and run integer block dot products (AVX-512 VNNI,
    /// see `Int8Activations`): about 1.5× the float kernel, but on SmolLM2-135M the logits move
    /// by up to ~1.3 (rms 0.25), beyond the reference tolerance, so it is opt-in. Default: never,
    /// unless the environment variable TRELLIS_INT8_ROWS=N (N >= 1) asks for it on a CPU with
    /// VNNI. `RuntimeOptions.int8ActivationRows` sets it per model.
    static let defaultInt8RowThreshold: Int = {
        guard Int8Activations.isFast, let text = getenv("TRELLIS_INT8_ROWS").map({ String(cString: $0) }),
              let rows = Int(text), rows > 0 else { return Int.max }
        return rows
    }()

    /// This matrix's int8 switch-over row count.
    var int8RowThreshold = LinearWeight.defaultInt8RowThreshold

    /// Whether a product over `n` rows runs on int8 activations.
    @inline(__always)
    func usesInt8(rows n: Int) -> Bool {
        guard let matrix, n >= int8RowThreshold, usesKernel(rows: n) else { return false }
        return Int8Activations.supports(matrix.format)
    }

    /// Whether a product over `n` rows runs on the quantized bytes.
    @inline(__always)
    func usesKernel(rows n: Int) -> Bool { matrix != nil && n < denseRowThreshold }

    /// This matrix's switch-over row count (tests lower it to pin the sgemm path).
    var denseRowThreshold = LinearWeight.defaultDenseRowThreshold

    /// Y[n × rows] = X[n × columns] · Wᵀ. `packed` is scratch for int8 activations (nil: float
    /// activations whatever the threshold says).
    func apply(_ x: UnsafePointer<Float>, count n: Int, into y: UnsafeMutablePointer<Float>, loop: ParallelLoop,
               packed: Int8Activations? = nil) {
        guard n > 0 else { return }
        if usesKernel(rows: n) {
            Self.apply(self, y, nil, nil, nil, nil, input: x, count: n, loop: loop, packed: packed)
            return
        }
        let w = denseMatrix(loop)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(n), Int32(rows), Int32(columns),
                    1, x, Int32(columns), w, Int32(columns), 0, y, Int32(rows))
    }

    /// Applies up to three matrices that read the same input (q/k/v, gate/up) in one parallel
    /// section over their rows together, so a short decode step pays one dispatch, not three.
    static func apply(_ a: LinearWeight, _ ya: UnsafeMutablePointer<Float>,
                      _ b: LinearWeight?, _ yb: UnsafeMutablePointer<Float>?,
                      _ c: LinearWeight?, _ yc: UnsafeMutablePointer<Float>?,
                      input x: UnsafePointer<Float>, count n: Int, loop: ParallelLoop,
                      packed: Int8Activations? = nil) {
        let fused = a.usesKernel(rows: n) && (b?.usesKernel(rows: n) ?? true) && (c?.usesKernel(rows: n) ?? true)
        guard fused else {
            a.apply(x, count: n, into: ya, loop: loop, packed: packed)
            if let b, let yb { b.apply(x, count: n, into: yb, loop: loop, packed: packed) }
            if let c, let yc { c.apply(x, count: n, into: yc, loop: loop, packed: packed) }
            return
        }
        // Int8 only when every matrix takes it, so the activations are quantized once for all.
        var int8: Int8Activations?
        if let packed, a.usesInt8(rows: n), b?.usesInt8(rows: n) ?? true, c?.usesInt8(rows: n) ?? true,
           (try? packed.pack(x, rows: n, cols: a.columns)) != nil {
            int8 = packed
        }
        let rowsA = a.rows, rowsB = b?.rows ?? 0, total = rowsA + rowsB + (c?.rows ?? 0)
        let tasks = loop.taskCount(rows: total, n: n)
        let box = UncheckedSendable((x, ya, yb, yc, int8))
        loop.forEach(tasks) { t, _ in
            let (x, ya, yb, yc, int8) = box.value
            let lo = total * t / tasks, hi = total * (t + 1) / tasks
            func run(_ w: LinearWeight, _ y: UnsafeMutablePointer<Float>, _ base: Int) {
                let r0 = max(lo - base, 0), r1 = min(hi - base, w.rows)
                guard r0 < r1 else { return }
                if let int8 {
                    w.matrix!.multiply(packed: int8, output: y, rowRange: r0..<r1)
                } else {
                    w.matrix!.multiply(input: x, rows: n, output: y, rowRange: r0..<r1)
                }
            }
            run(a, ya, 0)
            if let b, let yb { run(b, yb, rowsA) }
            if let c, let yc { run(c, yc, rowsA + rowsB) }
        }
    }

    /// Plain twin of `apply` for tests: dequantize each row, scalar dot products in Double.
    func applyReference(_ x: UnsafePointer<Float>, count n: Int, into y: UnsafeMutablePointer<Float>) {
        let row = UnsafeMutablePointer<Float>.allocate(capacity: columns)
        defer { row.deallocate() }
        for r in 0..<rows {
            type.dequantize(quantized + r * rowBytes, count: columns, into: row)
            for i in 0..<n {
                var s = 0.0
                for c in 0..<columns { s += Double(row[c]) * Double(x[i * columns + c]) }
                y[i * rows + r] = Float(s)
            }
        }
    }
}
