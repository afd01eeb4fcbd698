import GRDB
import TrellisCore

/// Filling in missing token blobs after an import, batch by batch.
extension TrellisStore {
    /// Tokenizes every name whose tokens are nil with `encode`, `batchSize` names per read and
    /// per write transaction, and returns how many it set. Binds (or checks) `fingerprint`
    /// first. Safe to interrupt: each batch commits on its own and a re-run continues with
    /// the names still untokenized. `encode` runs outside any database access, so it may do
    /// anything except write names concurrently. `progress(done, total)` counts names.
    @discardableResult
    public func fillNameTokens(fingerprint: String, batchSize: Int = 10_000, progress: ImportProgress? = nil,
                               encode: (NameRecord) throws -> [TokenID]) throws -> Int {
        try bindTokenizer(fingerprint: fingerprint)
        let total = try read("counting untokenized names") { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM names WHERE tokens IS NULL") ?? 0
        }
        var done = 0
        var lastID: NameID = .min
        try progress?(0, total)
        while true {
            let batch = try read("reading untokenized names") { db in
                try Row.fetchAll(db, sql: """
                    SELECT id, entity_id, language, name, is_canonical, tokens FROM names
                    WHERE tokens IS NULL AND id > ? ORDER BY id LIMIT ?
                    """, arguments: [lastID, max(1, batchSize)]).map { try nameRecord($0) }
            }
            guard let last = batch.last else { break }
            let updates = try batch.map { (nameID: $0.id, tokens: try encode($0)) }
            try setNameTokens(updates, fingerprint: fingerprint)
            lastID = last.id
            done += batch.count
            try progress?(done, total)
        }
        return done
    }

    /// Tokenizes every passage whose tokens are nil (same contract as `fillNameTokens`).
    @discardableResult
    public func fillPassageTokens(fingerprint: String, batchSize: Int = 1_000, progress: ImportProgress? = nil,
                                  encode: (PassageRecord) throws -> [TokenID]) throws -> Int {
        try bindTokenizer(fingerprint: fingerprint)
        let total = try read("counting untokenized passages") { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM passages WHERE tokens IS NULL") ?? 0
        }
        var done = 0
        var lastID: PassageID = .min
        try progress?(0, total)
        while true {
            let batch = try read("reading untokenized passages") { db in
                try Row.fetchAll(db, sql: """
                    SELECT id, key, title, text, tokens FROM passages WHERE tokens IS NULL AND id > ? ORDER BY id LIMIT ?
                    """, arguments: [lastID, max(1, batchSize)]).map { try passageRecord($0) }
            }
            guard let last = batch.last else { break }
            let updates = try batch.map { (passageID: $0.id, tokens: try encode($0)) }
            try setPassageTokens(updates, fingerprint: fingerprint)
            lastID = last.id
            done += batch.count
            try progress?(done, total)
        }
        return done
    }
}
