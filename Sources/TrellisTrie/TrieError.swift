import TrellisCore

/// Problems building, opening or writing a prefix trie, each naming the file (or input) and
/// what exactly was wrong, so a user knows whether to rebuild the index or fix the input.
public enum TrieError: Error, CustomStringConvertible, Equatable {
    /// The bytes do not start with the trie magic (not a trie file at all).
    case notATrie(path: String)
    /// A trie written by a newer or older format version.
    case unsupportedVersion(path: String, version: UInt32, supported: UInt32)
    /// Fewer (or more) bytes than the header's counts imply: an interrupted copy, usually.
    case truncated(path: String, expectedBytes: Int, actualBytes: Int)
    /// The body's checksum differs from the header's: the file was damaged after writing.
    case checksumMismatch(path: String, stored: UInt64, computed: UInt64)
    /// The arrays are inconsistent (offsets out of order, children unsorted, ...).
    case corrupt(path: String, reason: String)
    /// The input is larger than the 32-bit layout can address.
    case tooLarge(what: String, limit: Int, got: Int)
    /// A negative token id in the builder's input.
    case invalidToken(sequence: Int, position: Int, token: TokenID)
    /// Writing the file failed (disk full, permissions, ...).
    case writeFailed(path: String, reason: String)

    public var description: String {
        switch self {
        case .notATrie(let path):
            return "\(path) is not a Trellis prefix trie (bad magic); rebuild the index"
        case .unsupportedVersion(let path, let version, let supported):
            return "\(path): trie format version \(version) is not supported (this build reads \(supported)); rebuild the index"
        case .truncated(let path, let expected, let actual):
            return "\(path) is truncated or padded: \(actual) bytes, the header implies \(expected); rebuild the index"
        case .checksumMismatch(let path, let stored, let computed):
            return "\(path) is damaged: checksum \(String(computed, radix: 16)) differs from the stored \(String(stored, radix: 16)); rebuild the index"
        case .corrupt(let path, let reason):
            return "\(path) is corrupt: \(reason); rebuild the index"
        case .tooLarge(let what, let limit, let got):
            return "trie too large: \(what) is \(got), over the limit of \(limit)"
        case .invalidToken(let sequence, let position, let token):
            return "sequence \(sequence) has the negative token id \(token) at position \(position)"
        case .writeFailed(let path, let reason):
            return "cannot write trie to \(path): \(reason)"
        }
    }
}
