import Glibc
import COpenBLAS
import TrellisGGUF
import TrellisKernels

/// One weight matrix W [rows × columns] of a linear layer, applied as Y[n × rows] = X[n × columns] · Wᵀ
/// (row-major activations, one output feature per weight row, as GGUF stores them).
///
/// On CPUs with AVX-512 VNNI, Q4_0/Q4_1/Q8_0 products run on int16 activations against an
/// interleaved copy of the weights made on first use, after which the file's pages of the matrix
/// are released (see `usesInt16`). Otherwise the quantized bytes stay in the file mapping and
/// products run TrellisKernels' float kernels straight on the quantized blocks (F32, F16, Q4_0,
/// Q4_1, Q8_0; SIMD chosen at run time; weights read once per call for all n rows) unless n
/// reaches `denseRowThreshold` for this CPU, where OpenBLAS `sgemm` over a float32 copy
/// (dequantized on first such use and kept, 4 bytes per weight) is faster. Other types always
/// take the float32 path: correct, if not fast.
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

    /// Whether products on Q4_0/Q4_1/Q8_0 weights run on int16 activations and an interleaved
    /// copy of the weights (see `InterleavedWeights`): on by default where the CPU has AVX-512
    /// VNNI, unless the environment variable TRELLIS_FLOAT_ACTIVATIONS=1 asks for float32
    /// activations. `RuntimeOptions.int16Activations` sets it per model.
    static let defaultInt16Activations: Bool = {
        guard InterleavedWeights.isFast else { return false }
        return getenv("TRELLIS_FLOAT_ACTIVATIONS").map { String(cString: $0) } != "1"
    }()

    /// This matrix's int16 switch (see `defaultInt16Activations`).
    var int16Activations = LinearWeight.defaultInt16Activations

    /// The interleaved copy, made on the first int16 product.
    private(set) var interleaved: InterleavedWeights?

    /// Bytes held by the interleaved copy, if one was made.
    var interleavedBytes: Int { interleaved?.byteCount ?? 0 }

    /// Whether a product over `n` rows runs on int16 activations.
    @inline(__always)
    func usesInt16(rows n: Int) -> Bool {
        guard let matrix, int16Activations, usesKernel(rows: n) else { return false }
        return InterleavedWeights.supports(matrix.format)
    }

    /// Hands the file's pages of this matrix back once they are copied (set by the loader).
    var releaseSource: ((UnsafeRawBufferPointer) -> Void)?

    /// The interleaved copy, made now if needed (nil if it cannot be made). The quantized rows'
    /// pages are then released: products no longer read them (row lookups of a tied embedding
    /// fault in the few rows they touch).
    func interleavedWeights(_ loop: ParallelLoop) -> InterleavedWeights? {
        if let interleaved { return interleaved }
        guard let matrix else { return nil }
        interleaved = try? InterleavedWeights(matrix, pool: loop.pool)
        if interleaved != nil { releaseSource?(UnsafeRawBufferPointer(start: quantized, count: rows * rowBytes)) }
        return interleaved
    }

    /// Whether a product over `n` rows runs on the quantized bytes.
    @inline(__always)
    func usesKernel(rows n: Int) -> Bool { matrix != nil && n < denseRowThreshold }

    /// This matrix's switch-over row count (tests lower it to pin the sgemm path).
    var denseRowThreshold = LinearWeight.defaultDenseRowThreshold

    /// Y[n × rows] = X[n × columns] · Wᵀ. `packed` is scratch for int16 activations (nil: float
    /// activations whatever the switch says).
    func apply(_ x: UnsafePointer<Float>, count n: Int, into y: UnsafeMutablePointer<Float>, loop: ParallelLoop,
               packed: Int16Activations? = nil, packedInput: Bool = false) {
        guard n > 0 else { return }
        if usesKernel(rows: n) {
            Self.apply(self, y, nil, nil, nil, nil, input: x, count: n, loop: loop, packed: packed,
                       packedInput: packedInput)
            return
        }
        let w = denseMatrix(loop)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(n), Int32(rows), Int32(columns),
                    1, x, Int32(columns), w, Int32(columns), 0, y, Int32(rows))
    }

    /// Whether a product of `a` (and `b`, `c`) over `n` rows would run on int16 activations:
    /// callers may then quantize the input themselves, row by row, while they make it.
    static func takesInt16(_ a: LinearWeight, _ b: LinearWeight? = nil, _ c: LinearWeight? = nil, rows n: Int) -> Bool {
        a.usesInt16(rows: n) && (b?.usesInt16(rows: n) ?? true) && (c?.usesInt16(rows: n) ?? true)
    }

    /// Applies up to three matrices that read the same input (q/k/v, gate/up) in one parallel
    /// section over their rows together, so a short decode step pays one dispatch, not three.
    /// `packedInput`: `packed` already holds `x`'s n rows quantized (see `takesInt16`).
    static func apply(_ a: LinearWeight, _ ya: UnsafeMutablePointer<Float>,
                      _ b: LinearWeight?, _ yb: UnsafeMutablePointer<Float>?,
                      _ c: LinearWeight?, _ yc: UnsafeMutablePointer<Float>?,
                      input x: UnsafePointer<Float>, count n: Int, loop: ParallelLoop,
                      packed: Int16Activations? = nil, packedInput: Bool = false) {
        let fused = a.usesKernel(rows: n) && (b?.usesKernel(rows: n) ?? true) && (c?.usesKernel(rows: n) ?? true)
        guard fused else {
            a.apply(x, count: n, into: ya, loop: loop, packed: packed)
            if let b, let yb { b.apply(x, count: n, into: yb, loop: loop, packed: packed) }
            if let c, let yc { c.apply(x, count: n, into: yc, loop: loop, packed: packed) }
            return
        }
        // Int16 only when every matrix takes it, so the activations are quantized once for all.
        if let packed, takesInt16(a, b, c, rows: n),
           let wa = a.interleavedWeights(loop), b.map({ $0.interleavedWeights(loop) != nil }) ?? true,
           c.map({ $0.interleavedWeights(loop) != nil }) ?? true,
           packedInput && packed.rows == n && packed.cols == a.columns
               || (try? packed.pack(x, rows: n, cols: a.columns)) != nil {
            applyInt16(wa, ya, b?.interleaved, yb, c?.interleaved, yc, packed: packed, loop: loop)
            return
        }
        let rowsA = a.rows, rowsB = b?.rows ?? 0, total = rowsA + rowsB + (c?.rows ?? 0)
        let tasks = loop.taskCount(rows: total, n: n)
        let box = UncheckedSendable((x, ya, yb, yc))
        loop.forEach(tasks) { t, _ in
            let (x, ya, yb, yc) = box.value
            let lo = total * t / tasks, hi = total * (t + 1) / tasks
            func run(_ w: LinearWeight, _ y: UnsafeMutablePointer<Float>, _ base: Int) {
                let r0 = max(lo - base, 0), r1 = min(hi - base, w.rows)
                guard r0 < r1 else { return }
                w.matrix!.multiply(input: x, rows: n, output: y, rowRange: r0..<r1)
            }
            run(a, ya, 0)
            if let b, let yb { run(b, yb, rowsA) }
            if let c, let yc { run(c, yc, rowsA + rowsB) }
        }
    }

    /// The int16 products of `apply`, tasks split over the matrices' 16-row groups together.
    private static func applyInt16(_ a: InterleavedWeights, _ ya: UnsafeMutablePointer<Float>,
                                   _ b: InterleavedWeights?, _ yb: UnsafeMutablePointer<Float>?,
                                   _ c: InterleavedWeights?, _ yc: UnsafeMutablePointer<Float>?,
                                   packed: Int16Activations, loop: ParallelLoop) {
        // Views and raw pointers only: tasks then touch no reference counts (two threads
        // bumping one object's count would bounce its cache line on every task).
        let views = (a.view, b?.view, c?.view)
        let groupsA = a.groups, groupsB = b?.groups ?? 0, total = groupsA + groupsB + (c?.groups ?? 0)
        let tasks = InterleavedWeights.taskCount(groups: total, inputs: packed.rows, threads: loop.workers)
        let box = UncheckedSendable((ya, yb, yc, packed.bytes, packed.rows, a.rows, b?.rows ?? 0, c?.rows ?? 0))
        loop.forEach(tasks) { t, _ in
            let (ya, yb, yc, bytes, n, rowsA, rowsB, rowsC) = box.value
            let lo = total * t / tasks, hi = total * (t + 1) / tasks
            func run(_ w: InterleavedWeights.View, _ y: UnsafeMutablePointer<Float>, _ stride: Int, _ base: Int) {
                let g0 = max(lo - base, 0), g1 = min(hi - base, w.groups)
                guard g0 < g1 else { return }
                w.multiply(packed: bytes, packedRows: n, output: y, outputStride: stride, groups: g0..<g1)
            }
            run(views.0, ya, rowsA, 0)
            if let vb = views.1, let yb { run(vb, yb, rowsB, groupsA) }
            if let vc = views.2, let yc { run(vc, yc, rowsC, groupsA + groupsB) }
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
