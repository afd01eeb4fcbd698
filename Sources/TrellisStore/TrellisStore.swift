import Foundation
import GRDB
import TrellisCore

/// The SQLite knowledge base and index store shared by linking, search and constrained
/// generation: entities with their names (and the names' token ids), a mention → candidate
/// table, passages with an FTS5 full-text index, and HMM parameters in chunks.
///
/// One store is bound to one tokenizer (see `bindTokenizer(fingerprint:)`), since every token
/// blob it holds is only meaningful for that vocabulary. A file store opens a GRDB
/// `DatabasePool` in WAL mode, so readers (a server answering queries) proceed while one
/// writer imports; an in-memory store uses a `DatabaseQueue`. Opening runs the versioned
/// migrations (see `TrellisStore+Migrations.swift`) and refuses a store written by a newer
/// schema. Every write method runs in one transaction: on any error nothing it did remains.
///
/// Methods must not be called re-entrantly from inside a streaming callback
/// (`forEachName`, `forEachPassage...`): GRDB does not allow nested database access on one
/// thread, and that is a programmer error.
public final class TrellisStore: Sendable {
    /// Options for opening a store.
    public struct Options: Sendable {
        /// Open without writing anything: no migrations, no WAL switch; writes fail.
        public var readOnly: Bool
        /// How long a write waits for another process's lock before failing, in seconds.
        public var busyTimeout: Double

        public init(readOnly: Bool = false, busyTimeout: Double = 10) {
            self.readOnly = readOnly
            self.busyTimeout = busyTimeout
        }
    }

    /// The file path, or ":memory:" for an in-memory store. Used in every error's context.
    public let path: String
    public let isReadOnly: Bool
    let writer: any DatabaseWriter

    /// Opens (creating if absent) the store at `path` and migrates it to the current schema.
    /// The folder must exist. Throws `StoreError.notADatabase` for a non-SQLite file,
    /// `.schemaTooNew` for a store from a newer build, `.cannotOpen` otherwise.
    public init(path: String, options: Options = Options()) throws {
        self.path = path
        self.isReadOnly = options.readOnly
        var configuration = Self.configuration(options)
        do {
            if options.readOnly {
                guard FileManager.default.fileExists(atPath: path) else {
                    throw StoreError.cannotOpen(path: path, message: "no such file (read-only open)")
                }
                configuration.readonly = true
                writer = try DatabaseQueue(path: path, configuration: configuration)
            } else {
                writer = try DatabasePool(path: path, configuration: configuration)
            }
        } catch let error as DatabaseError {
            throw Self.openError(error, path: path)
        }
        try prepareSchema()
    }

    /// A new, empty, migrated store that lives in memory only (tests, scratch work).
    public static func inMemory() throws -> TrellisStore {
        let writer: DatabaseQueue
        do {
            writer = try DatabaseQueue(configuration: configuration(Options()))
        } catch let error as DatabaseError {
            throw openError(error, path: ":memory:")
        }
        let store = TrellisStore(path: ":memory:", writer: writer, isReadOnly: false)
        try store.prepareSchema()
        return store
    }

    private init(path: String, writer: any DatabaseWriter, isReadOnly: Bool) {
        self.path = path
        self.writer = writer
        self.isReadOnly = isReadOnly
    }

    private static func configuration(_ options: Options) -> Configuration {
        var configuration = Configuration()
        configuration.foreignKeysEnabled = true
        configuration.busyMode = .timeout(options.busyTimeout)
        configuration.label = "TrellisStore"
        return configuration
    }

    private static func openError(_ error: DatabaseError, path: String) -> StoreError {
        if error.resultCode == .SQLITE_NOTADB { return .notADatabase(path: path) }
        return .cannotOpen(path: path, message: error.message ?? "\(error.resultCode)")
    }

    /// Refuses newer schemas, then migrates (or, read-only, checks that nothing is missing).
    private func prepareSchema() throws {
        let migrator = Self.migrator
        do {
            let (applied, superseded) = try writer.read { db in
                (try migrator.appliedIdentifiers(db), try migrator.hasBeenSuperseded(db))
            }
            if superseded {
                let known = Set(Self.migrationIdentifiers)
                throw StoreError.schemaTooNew(path: path, unknownMigrations: applied.filter { !known.contains($0) }.sorted())
            }
            if isReadOnly {
                let missing = Self.migrationIdentifiers.filter { !applied.contains($0) }
                if !missing.isEmpty { throw StoreError.schemaOutdated(path: path, missingMigrations: missing) }
            } else {
                try migrator.migrate(writer)
            }
        } catch let error as DatabaseError {
            if error.resultCode == .SQLITE_NOTADB { throw StoreError.notADatabase(path: path) }
            throw mapped(error, operation: "migrating the schema")
        }
    }

    // MARK: - Error mapping

    func mapped(_ error: DatabaseError, operation: String) -> StoreError {
        if error.resultCode == .SQLITE_NOTADB { return .notADatabase(path: path) }
        return .database(path: path, operation: operation, code: error.extendedResultCode.rawValue,
                         message: error.message ?? "\(error.resultCode)")
    }

    /// Runs `body` in one write transaction; GRDB errors become `StoreError.database`.
    func write<T>(_ operation: String, _ body: (Database) throws -> T) throws -> T {
        do {
            return try writer.write(body)
        } catch let error as DatabaseError {
            throw mapped(error, operation: operation)
        }
    }

    /// Runs `body` in one read transaction (a consistent snapshot).
    func read<T>(_ operation: String, _ body: (Database) throws -> T) throws -> T {
        do {
            return try writer.read(body)
        } catch let error as DatabaseError {
            throw mapped(error, operation: operation)
        }
    }
}
