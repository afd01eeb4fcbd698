import CTrellisKernels
import TrellisCore

/// A Q4_0, Q4_1 or Q8_0 weight matrix copied into groups of 16 interleaved rows, for products
/// on int16 activations (`Int16Activations`) that run exactly on integers with AVX-512 VNNI:
/// per 32-column block, 16 `vpdpwssd` give all 16 rows' block sums in the lanes of one register
/// and the block scales apply lane-wise, so there are no horizontal sums and the nibbles are
/// widened once for up to eight inputs. About twice the float kernel's throughput from two
/// activation rows up, as fast at one, and the same size as the quantized rows (layout in
/// trellis_kernels.h). Results do not depend on how many rows share a product. Immutable
/// after init, hence safe to share across threads.
public final class InterleavedWeights: @unchecked Sendable {
    public let format: WeightFormat
    public let rows: Int
    public let cols: Int
    /// Groups of 16 rows (the last one may be partial).
    public let groups: Int
    public let byteCount: Int
    private let storage: UnsafeMutableRawPointer

    /// Whether this CPU runs the products on vector integer instructions (else a scalar twin).
    public static let isFast: Bool = trellis_int16_fast() != 0

    /// Whether `format` has an interleaved product.
    public static func supports(_ format: WeightFormat) -> Bool { trellis_interleaved_supports(format.rawValue) != 0 }

    /// Copies `matrix`, row groups split across `pool` when one is given.
    public init(_ matrix: WeightMatrix, pool: ComputePool? = nil) throws {
        guard Self.supports(matrix.format) else {
            throw TrellisError.invalidArgument("no interleaved product for \(matrix.format) weights")
        }
        format = matrix.format
        rows = matrix.rows
        cols = matrix.cols
        groups = (rows + 15) / 16
        byteCount = Int(trellis_interleaved_bytes(format.rawValue, Int64(rows), Int64(cols)))
        storage = .allocate(byteCount: max(byteCount, 64), alignment: 64)
        let tasks = max(1, min((pool?.threadCount ?? 1) * 4, groups))
        let job = InterleaveJob(matrix: matrix, out: storage, groups: groups, tasks: tasks)
        if let pool, tasks > 1 {
            pool.parallelFor(tasks) { t in job.run(t) }
        } else {
            for t in 0..<tasks { job.run(t) }
        }
    }

    deinit { storage.deallocate() }

    /// A reference-free view for hot loops: copying it costs no reference counting, so pool
    /// tasks can carry it. Valid while this object lives.
    public struct View: @unchecked Sendable {
        let format: Int32
        let rows: Int64
        let cols: Int64
        let data: UnsafeRawPointer
        public let groups: Int

        /// As `InterleavedWeights.multiply`, for `packedRows` rows packed at `packed` (the bytes
        /// of an `Int16Activations` whose cols equal this matrix's).
        @inline(__always)
        public func multiply(packed: UnsafeRawPointer, packedRows: Int, output: UnsafeMutablePointer<Float>,
                             outputStride: Int, groups range: Range<Int>, level: KernelLevel = .best) {
            trellis_matmul_interleaved(level.rawValue, format, data, rows, cols, packed, Int64(packedRows), output,
                                       Int64(outputStride), Int64(range.lowerBound), Int64(range.upperBound), 0)
        }
    }

    public var view: View {
        View(format: format.rawValue, rows: Int64(rows), cols: Int64(cols), data: UnsafeRawPointer(storage), groups: groups)
    }

    /// Pool tasks for a product of `groups` row groups over `n` inputs on `threads` threads:
    /// two per thread (dynamic balance; more tasks cost more than they balance on a small
    /// host, measured), none shorter than about 5 us of work.
    public static func taskCount(groups: Int, inputs n: Int, threads: Int) -> Int {
        guard threads > 1 else { return 1 }
        let minimumGroups = max(2, 16 / max(n, 1))
        return max(1, min(threads * 2, groups / minimumGroups))
    }

    /// Y[i, r] (+)= packed row i · W[r, :] for every packed row i and every row r of the groups
    /// in `groupRange` (default all), on the calling thread. `.scalar` runs the scalar twin
    /// (bit-identical); other levels the VNNI kernel where the CPU has it.
    @inline(__always)
    public func multiply(packed: Int16Activations, output: UnsafeMutablePointer<Float>,
                         outputStride: Int? = nil, groupRange: Range<Int>? = nil,
                         accumulate: Bool = false, level: KernelLevel = .best) {
        let range = groupRange ?? 0..<groups
        precondition(range.lowerBound >= 0 && range.upperBound <= groups, "group range outside 0..<\(groups)")
        precondition(packed.cols == cols, "int16 product of \(rows)x\(cols) with packed rows of \(packed.cols)")
        trellis_matmul_interleaved(level.rawValue, format.rawValue, storage, Int64(rows), Int64(cols),
                                   packed.bytes, Int64(packed.rows), output, Int64(outputStride ?? rows),
                                   Int64(range.lowerBound), Int64(range.upperBound), accumulate ? 1 : 0)
    }
}

/// One share of the copy: a contiguous range of row groups.
private struct InterleaveJob: @unchecked Sendable {
    let matrix: WeightMatrix
    let out: UnsafeMutableRawPointer
    let groups: Int
    let tasks: Int

    func run(_ t: Int) {
        let g0 = groups * t / tasks, g1 = groups * (t + 1) / tasks
        trellis_interleave_weights(matrix.format.rawValue, matrix.data, matrix.rowStride, Int64(matrix.rows),
                                   Int64(matrix.cols), Int64(g0), Int64(g1), out)
    }
}
