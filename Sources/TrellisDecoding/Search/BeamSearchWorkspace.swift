import TrellisCore

/// The buffers a beam search works in: logit rows (live hypotheses, model output, rows
/// gathered token by token) and the selection scratch. Pass one workspace to successive
/// searches (say, one per mention) so rows are not allocated and zeroed again each time.
/// A workspace serves one search at a time (it is not thread-safe); it grows to the largest
/// batch seen and keeps that memory.
public final class BeamSearchWorkspace {
    var current: LogitMatrix
    var output: LogitMatrix
    var gathered: LogitMatrix
    var scratch = CandidateScratch()

    public init() {
        current = LogitMatrix(rows: 1, width: 1)
        output = LogitMatrix(rows: 1, width: 1)
        gathered = LogitMatrix(rows: 1, width: 1)
    }

    /// Makes the rows `width` wide (a new vocabulary drops the old buffers).
    func prepare(width: Int) {
        guard current.width != width else { return }
        current = LogitMatrix(rows: 1, width: width)
        output = LogitMatrix(rows: 1, width: width)
        gathered = LogitMatrix(rows: 1, width: width)
    }

    /// Bytes held by the logit buffers.
    public var sizeInBytes: Int {
        4 * (current.buffer.count + output.buffer.count + gathered.buffer.count)
    }
}

/// Per-step scratch of candidate selection, moved out of the workspace for the duration of a
/// step so the hot loops work on local values (no exclusivity checks on class properties).
struct CandidateScratch {
    var selector = TopKSelector()
    var top: [(index: Int, value: Float)] = []
    var gatherValues: [Float] = []
    var gatherTokens: [TokenID] = []
    var keptValues: [Float] = []
}
