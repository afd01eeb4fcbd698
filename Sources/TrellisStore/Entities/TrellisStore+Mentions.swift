import GRDB

/// The mention table: surface form → candidate entities with a prior.
extension TrellisStore {
    /// Candidates for `surface`, highest prior first (ties by key). Exact surface matches
    /// when there are any; otherwise a case-insensitive match (Unicode lowercase), where an
    /// entity reached by several spellings keeps its highest prior.
    public func candidates(forSurface surface: String, limit: Int? = nil) throws -> [MentionCandidate] {
        let limit = limit ?? -1  // SQLite: a negative LIMIT means no limit
        return try read("looking up candidates for \"\(surface)\"") { db in
            let exact = try Row.fetchAll(db, sql: """
                SELECT m.entity_id, e.key, e.name, m.prior FROM mentions m JOIN entities e ON e.id = m.entity_id
                WHERE m.surface = ? ORDER BY m.prior DESC, e.key LIMIT ?
                """, arguments: [surface, limit])
            if !exact.isEmpty {
                return exact.map { MentionCandidate(entityID: $0[0], key: $0[1], name: $0[2], prior: $0[3],
                                                    matchedCaseInsensitively: false) }
            }
            let folded = try Row.fetchAll(db, sql: """
                SELECT m.entity_id, e.key, e.name, MAX(m.prior) AS prior
                FROM mentions m JOIN entities e ON e.id = m.entity_id
                WHERE m.surface_folded = ? GROUP BY m.entity_id ORDER BY prior DESC, e.key LIMIT ?
                """, arguments: [Self.foldedSurface(surface), limit])
            return folded.map { MentionCandidate(entityID: $0[0], key: $0[1], name: $0[2], prior: $0[3],
                                                 matchedCaseInsensitively: true) }
        }
    }

    /// Sets the prior of (surface, entity), inserting the pair if new.
    public func setMentionPrior(surface: String, entityID: EntityID, prior: Double) throws {
        guard !surface.isEmpty else { throw StoreError.invalidArgument("mention surface is empty") }
        guard prior.isFinite else { throw StoreError.invalidArgument("prior \(prior) of \"\(surface)\" is not finite") }
        try write("setting the prior of \"\(surface)\"") { db in
            guard try Bool.fetchOne(db, sql: "SELECT 1 FROM entities WHERE id = ?", arguments: [entityID]) != nil else {
                throw StoreError.notFound(kind: "entity", key: String(entityID))
            }
            try upsertMention(surface: surface, entityID: entityID, prior: prior, db)
        }
    }

    // MARK: - Inside a transaction

    static func foldedSurface(_ surface: String) -> String { surface.lowercased() }

    func upsertMention(surface: String, entityID: EntityID, prior: Double, _ db: Database) throws {
        let statement = try db.cachedStatement(sql: """
            INSERT INTO mentions(surface, surface_folded, entity_id, prior) VALUES (?, ?, ?, ?)
            ON CONFLICT(surface, entity_id) DO UPDATE SET prior = excluded.prior
            WHERE prior IS NOT excluded.prior
            """)
        try statement.execute(arguments: [surface, Self.foldedSurface(surface), entityID, prior])
    }
}
