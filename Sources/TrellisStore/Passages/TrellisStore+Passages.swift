import GRDB

/// Passage lookups and BM25 search through the FTS5 index.
extension TrellisStore {
    /// The best `limit` passages for `query` by FTS5's BM25 (k1 = 1.2, b = 0.75, Robertson &
    /// Zaragoza 2009 as implemented by SQLite), title and text weighted by `titleWeight` and
    /// `textWeight`. The query is free text: it is split into terms that are quoted and OR-ed
    /// (see `FullTextQuery`), so no user input can form FTS5 syntax; a query without terms
    /// returns no hits. Scores are positive, higher is better.
    public func bm25Search(query: String, limit: Int = 10, titleWeight: Double = 1,
                           textWeight: Double = 1) throws -> [BM25Hit] {
        guard limit > 0, let expression = FullTextQuery.matchExpression(for: query) else { return [] }
        guard titleWeight.isFinite, textWeight.isFinite else {
            throw StoreError.invalidArgument("BM25 weights must be finite")
        }
        return try read("searching passages") { db in
            try Row.fetchAll(db, sql: """
                SELECT p.id, p.key, hits.score FROM (
                    SELECT rowid AS id, -bm25(passages_fts, ?, ?) AS score FROM passages_fts
                    WHERE passages_fts MATCH ? ORDER BY score DESC LIMIT ?
                ) AS hits JOIN passages p ON p.id = hits.id ORDER BY hits.score DESC, p.id
                """, arguments: [titleWeight, textWeight, expression, limit])
            .map { BM25Hit(passageID: $0[0], key: $0[1], score: $0[2]) }
        }
    }

    public func passage(id: PassageID) throws -> PassageRecord? {
        try read("looking up passage \(id)") { db in
            try Row.fetchOne(db, sql: "SELECT id, key, title, text, tokens FROM passages WHERE id = ?",
                             arguments: [id]).map { try passageRecord($0) }
        }
    }

    public func passage(key: String) throws -> PassageRecord? {
        try read("looking up passage \(key)") { db in
            try Row.fetchOne(db, sql: "SELECT id, key, title, text, tokens FROM passages WHERE key = ?",
                             arguments: [key]).map { try passageRecord($0) }
        }
    }

    /// The passages with these ids, in the order asked; unknown ids are left out.
    public func passages(ids: [PassageID]) throws -> [PassageRecord] {
        try read("looking up passages") { db in
            let statement = try db.cachedStatement(sql: "SELECT id, key, title, text, tokens FROM passages WHERE id = ?")
            return try ids.compactMap { id in try Row.fetchOne(statement, arguments: [id]).map { try passageRecord($0) } }
        }
    }

    /// Rebuilds the full-text index from the passages table (repair; normally triggers keep it).
    public func rebuildFullTextIndex() throws {
        try write("rebuilding the full-text index") { db in
            try db.execute(sql: "INSERT INTO passages_fts(passages_fts) VALUES ('rebuild')")
        }
    }

    /// Runs FTS5's integrity check of the index against the passages table; throws
    /// `StoreError.database` when they disagree.
    public func checkFullTextIndex() throws {
        // FTS5 runs its check as a special INSERT, so it needs the writer.
        try write("checking the full-text index") { db in
            try db.execute(sql: "INSERT INTO passages_fts(passages_fts, rank) VALUES ('integrity-check', 1)")
        }
    }

    func passageRecord(_ row: Row) throws -> PassageRecord {
        let id: PassageID = row[0]
        return PassageRecord(id: id, key: row[1], title: row[2], text: row[3],
                             tokens: try decodedTokens(row[4], what: "tokens of passage \(id)"))
    }
}
