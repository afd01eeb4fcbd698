/// Problems opening or building a prefix trie, with the file and what was wrong.
public enum TrieError: Error, CustomStringConvertible, Equatable {
    case notATrie(path: String)
    case unsupportedVersion(path: String, version: UInt32)
    case corrupt(path: String, reason: String)
    case tooLarge(what: String)

    public var description: String {
        switch self {
        case .notATrie(let path): return "\(path) is not a Trellis prefix trie (bad magic)"
        case .unsupportedVersion(let path, let v): return "\(path): trie format version \(v) is not supported"
        case .corrupt(let path, let reason): return "\(path) is corrupt: \(reason)"
        case .tooLarge(let what): return "trie too large: \(what) exceeds 2^32"
        }
    }
}
