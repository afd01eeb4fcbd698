/// Reports import progress: `done` input lines of `total` (nil when unknown). Called on the
/// importing thread, inside the import's transaction; throwing from it cancels the import,
/// which then rolls back like any other failure.
public typealias ImportProgress = (_ done: Int, _ total: Int?) throws -> Void

/// How an importer treats its input. Shared by the KB, mention and corpus importers.
///
/// Transaction semantics (all importers): one file is imported in **one** transaction. If
/// anything fails (a malformed line under `.fail`, a throwing progress callback, an SQLite
/// error, a crash or kill of the process), the store is left exactly as it was before the
/// call. Re-importing a file is idempotent: rows are upserted by their key.
public struct ImportOptions: Sendable {
    /// What to do with a line that cannot be parsed or lacks a required field.
    public enum MalformedLinePolicy: Sendable, Equatable {
        /// Stop and roll back, throwing `StoreError.malformedLine` with the line number.
        case fail
        /// Skip the line, count it in `ImportSummary.skippedLines`, go on.
        case skip
    }

    /// How a KB record's names meet the names an entity already has.
    public enum NameUpdatePolicy: Sendable, Equatable {
        /// The record is the truth: names the entity has but the record lacks are deleted.
        /// Names it keeps keep their ids and token blobs.
        case replace
        /// Only add the record's names; never delete.
        case merge
    }

    public var malformedLines: MalformedLinePolicy
    public var nameUpdates: NameUpdatePolicy
    /// Language of a KB record's canonical name and aliases when the record gives none.
    public var defaultLanguage: String
    /// Lines between two progress callbacks.
    public var progressInterval: Int

    public init(malformedLines: MalformedLinePolicy = .fail, nameUpdates: NameUpdatePolicy = .replace,
                defaultLanguage: String = "en", progressInterval: Int = 1000) {
        self.malformedLines = malformedLines
        self.nameUpdates = nameUpdates
        self.defaultLanguage = defaultLanguage
        self.progressInterval = max(1, progressInterval)
    }
}

/// What an import did.
public struct ImportSummary: Sendable, Equatable {
    /// Input lines read, blank ones included.
    public var lines = 0
    /// Records (entities, mention pairs, passages) written.
    public var records = 0
    /// Of `records`, how many were new rows rather than updates of existing keys.
    public var inserted = 0
    /// Line numbers (1-based) skipped as malformed under `.skip`, and the first reason.
    public var skippedLines: [Int] = []
    public var firstSkipReason: String?
    /// Mention candidates whose entity key is not in the store (skipped), with a few examples.
    public var unknownEntityKeys = 0
    public var unknownEntityKeyExamples: [String] = []

    public init() {}
}
