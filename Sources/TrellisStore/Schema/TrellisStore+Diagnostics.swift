import GRDB

/// Schema introspection, and raw SQL for tests (internal: reached with `@testable import`,
/// so test code never imports GRDB itself).
extension TrellisStore {
    /// The identifiers of the migrations applied to this store, in order.
    public func appliedMigrations() throws -> [String] {
        try read("reading the schema version") { db in try Self.migrator.completedMigrations(db) }
    }

    /// Runs SQL statements in one write transaction.
    func executeSQL(_ sql: String) throws {
        try write("executing SQL") { db in try db.execute(sql: sql) }
    }

    /// The first column of every row of a query, as text.
    func fetchStrings(_ sql: String) throws -> [String] {
        try read("querying") { db in try String.fetchAll(db, sql: sql) }
    }
}
