import TrellisCore

/// Errors building, saving or loading an FM-index, each naming what is wrong and where.
public enum FMIndexError: Error, Equatable, CustomStringConvertible {
    case negativeToken(passage: Int, offset: Int, token: TokenID)
    case invalidSampleRate(Int)
    case invalidPassageEnds(String)
    case corpusTooLarge(positions: Int, limit: Int)
    case badMagic(path: String)
    case unsupportedVersion(path: String, found: Int, supported: Int)
    case truncated(path: String, expectedBytes: Int, actualBytes: Int)
    case checksumMismatch(path: String)
    case corrupt(path: String, reason: String)
    case io(path: String, message: String)

    public var description: String {
        switch self {
        case .negativeToken(let p, let o, let t): return "passage \(p) token \(o) is \(t); token ids must be >= 0"
        case .invalidSampleRate(let r): return "suffix array sample rate \(r) must be between 1 and 65536"
        case .invalidPassageEnds(let why): return "invalid passage ends: \(why)"
        case .corpusTooLarge(let n, let limit): return "corpus needs \(n) text positions, over the limit of \(limit)"
        case .badMagic(let path): return "\(path): not a Trellis FM-index (bad magic)"
        case .unsupportedVersion(let path, let found, let supported):
            return "\(path): FM-index format version \(found), this build reads version \(supported); "
                + "rebuild the index (delete the file: the passage index is rebuilt from the store when next opened)"
        case .truncated(let path, let expected, let actual):
            return "\(path): FM-index truncated or padded: header implies \(expected) bytes, file has \(actual)"
        case .checksumMismatch(let path): return "\(path): FM-index checksum mismatch (file corrupted)"
        case .corrupt(let path, let reason): return "\(path): corrupt FM-index: \(reason)"
        case .io(let path, let message): return "\(path): \(message)"
        }
    }
}
