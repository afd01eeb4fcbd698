/// Errors that any layer may raise about its input, each carrying what a user needs to fix it.
/// Modules define their own typed errors for their formats; these are the shared ones.
public enum TrellisError: Error, CustomStringConvertible, Equatable {
    case fileNotFound(path: String, hint: String)
    case invalidArgument(String)
    case limitExceeded(what: String, limit: Int, got: Int)
    case sequenceUnknown(Int)
    case io(path: String, message: String)

    public var description: String {
        switch self {
        case .fileNotFound(let path, let hint): return "file not found: \(path). \(hint)"
        case .invalidArgument(let message): return message
        case .limitExceeded(let what, let limit, let got): return "\(what) is \(got), over the limit of \(limit)"
        case .sequenceUnknown(let id): return "unknown sequence \(id) (released or never created)"
        case .io(let path, let message): return "\(path): \(message)"
        }
    }
}
