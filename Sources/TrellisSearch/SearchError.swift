import TrellisCore

/// Errors of passage search, carrying what was being done and with which input.
public enum SearchError: Error, CustomStringConvertible, Equatable {
    /// Some passages have no tokens yet (import ran without tokenizing).
    case passagesNotTokenized(count: Int)
    /// The sidecar id file beside the FM-index is unreadable or has the wrong size.
    case badIDFile(path: String, reason: String)
    /// The FM-index and the id file disagree on the number of passages.
    case indexMismatch(path: String, indexPassages: Int, idCount: Int)
    /// A caller-supplied option is out of range.
    case invalidOption(String)

    public var description: String {
        switch self {
        case .passagesNotTokenized(let n): return "\(n) passages are not tokenized; run `trellis corpus import` again"
        case .badIDFile(let path, let reason): return "passage id file \(path): \(reason)"
        case .indexMismatch(let path, let a, let b): return "\(path): FM-index has \(a) passages but the id file \(b)"
        case .invalidOption(let why): return "invalid search option: \(why)"
        }
    }
}
