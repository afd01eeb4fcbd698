/// A reusable row-major buffer of logit rows: `rows × width` floats, row i at `i * width`.
///
/// Allocated once per batch size and reused across decoding steps, so the per-token loop does
/// not allocate. Access goes through closures over `UnsafeMutableBufferPointer`.
public final class LogitMatrix: @unchecked Sendable {
    public let width: Int
    public private(set) var rows: Int
    private var capacityRows: Int
    private var storage: UnsafeMutablePointer<Float>

    public init(rows: Int, width: Int) {
        precondition(rows >= 0 && width > 0)
        self.rows = rows
        self.width = width
        self.capacityRows = max(rows, 1)
        self.storage = .allocate(capacity: capacityRows * width)
        storage.initialize(repeating: 0, count: capacityRows * width)
    }

    deinit { storage.deallocate() }

    /// Sets the number of rows, growing the buffer if needed. Contents become unspecified.
    public func resize(rows newRows: Int) {
        precondition(newRows >= 0)
        if newRows > capacityRows {
            storage.deallocate()
            capacityRows = max(newRows, capacityRows * 2)
            storage = .allocate(capacity: capacityRows * width)
            storage.initialize(repeating: 0, count: capacityRows * width)
        }
        rows = newRows
    }

    /// Pointer to row `i` (width floats).
    @inline(__always)
    public func row(_ i: Int) -> UnsafeMutableBufferPointer<Float> {
        assert(i >= 0 && i < rows)
        return UnsafeMutableBufferPointer(start: storage + i * width, count: width)
    }

    /// Whole buffer, rows × width.
    public var buffer: UnsafeMutableBufferPointer<Float> {
        UnsafeMutableBufferPointer(start: storage, count: rows * width)
    }

    /// A copy of row `i` as an array (for tests and edges, not hot loops).
    public func rowArray(_ i: Int) -> [Float] { Array(row(i)) }
}
