import TrellisCore

/// Errors of distillation and guided generation, each naming what was being done.
public enum ControlError: Error, Equatable, CustomStringConvertible {
    case invalidArgument(String)
    case hmmNotFound(name: String)
    /// The stored HMM was distilled from another tokenizer or model than the one in use.
    case hmmMismatch(name: String, field: String, stored: String, given: String)
    /// The stored HMM's training data or parameters are missing or the wrong shape.
    case corruptHMM(name: String, reason: String)

    public var description: String {
        switch self {
        case .invalidArgument(let m): return m
        case .hmmNotFound(let n): return "no HMM named \"\(n)\" in the store (see `trellis hmm info`)"
        case .hmmMismatch(let n, let f, let s, let g):
            return "HMM \"\(n)\" was distilled with \(f) \(s), but this run uses \(g)"
        case .corruptHMM(let n, let r): return "HMM \"\(n)\" in the store is unusable: \(r)"
        }
    }
}
