/// Everything that can go wrong in a `TrellisStore`, each case carrying the context a user
/// needs to fix it: the store's path, the input file and line, the key or id involved.
///
/// SQLite's own errors never leave the store raw: they arrive as `.database`, with the
/// operation that failed. Bad input (a malformed line, a hostile search query, a wrong shape)
/// is reported here, never by a crash.
public enum StoreError: Error, CustomStringConvertible, Equatable {
    /// The file exists but is not an SQLite database.
    case notADatabase(path: String)
    /// SQLite could not open or create the file (missing folder, permissions, ...).
    case cannotOpen(path: String, message: String)
    /// The store was written by a newer Trellis: it holds migrations this build does not know.
    case schemaTooNew(path: String, unknownMigrations: [String])
    /// A read-only open found a store that still needs migrations this build would apply.
    case schemaOutdated(path: String, missingMigrations: [String])
    /// The store's token ids were made by another tokenizer.
    case tokenizerMismatch(path: String, bound: String, given: String)
    /// Token ids were written before `bindTokenizer(fingerprint:)` was called.
    case tokenizerNotBound(path: String)
    /// An input file is missing or unreadable.
    case cannotReadFile(path: String, message: String)
    /// One line of an input file could not be understood (1-based line number).
    case malformedLine(path: String, line: Int, message: String)
    /// A key that must be new already exists (`kind` is "entity", "hmm model", ...).
    case duplicateKey(kind: String, key: String)
    /// No row has this key or id (`kind` is "entity", "name", "passage", "hmm model", ...).
    case notFound(kind: String, key: String)
    /// A stored blob has a size or count that does not fit its declared shape.
    case corruptData(path: String, what: String, message: String)
    /// An argument that the caller passed cannot be used (empty key, wrong shape, ...).
    case invalidArgument(String)
    /// SQLite reported an error during `operation`.
    case database(path: String, operation: String, code: Int32, message: String)

    public var description: String {
        switch self {
        case .notADatabase(let path):
            return "\(path): not an SQLite database (is this the right file?)"
        case .cannotOpen(let path, let message):
            return "\(path): cannot open store: \(message)"
        case .schemaTooNew(let path, let unknown):
            return "\(path): store schema is newer than this build of Trellis "
                + "(unknown migrations: \(unknown.joined(separator: ", "))); upgrade Trellis"
        case .schemaOutdated(let path, let missing):
            return "\(path): store schema is older than this build "
                + "(missing migrations: \(missing.joined(separator: ", "))); open it writable once to migrate"
        case .tokenizerMismatch(let path, let bound, let given):
            return "\(path): store is bound to tokenizer \(bound), not \(given); "
                + "rebuild the store or use the tokenizer it was built with"
        case .tokenizerNotBound(let path):
            return "\(path): no tokenizer bound; call bindTokenizer(fingerprint:) before writing token ids"
        case .cannotReadFile(let path, let message):
            return "\(path): \(message)"
        case .malformedLine(let path, let line, let message):
            return "\(path):\(line): \(message)"
        case .duplicateKey(let kind, let key):
            return "\(kind) \"\(key)\" already exists"
        case .notFound(let kind, let key):
            return "no \(kind) \"\(key)\""
        case .corruptData(let path, let what, let message):
            return "\(path): corrupt \(what): \(message)"
        case .invalidArgument(let message):
            return message
        case .database(let path, let operation, let code, let message):
            return "\(path): SQLite error \(code) while \(operation): \(message)"
        }
    }
}
