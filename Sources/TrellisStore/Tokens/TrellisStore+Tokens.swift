import Foundation
import GRDB
import TrellisCore

/// Token blobs: batched writes, and streaming reads in id order for building tries and
/// FM-indexes without loading a table into memory.
extension TrellisStore {
    /// Sets the token ids of many names in one transaction. The store must be bound to a
    /// tokenizer; when `fingerprint` is given it is checked (or bound) first. An unknown name
    /// id throws `StoreError.notFound` and nothing is written.
    public func setNameTokens(_ updates: [(nameID: NameID, tokens: [TokenID])], fingerprint: String? = nil) throws {
        try setTokens(table: "names", kind: "name", updates: updates.map { ($0.nameID, $0.tokens) },
                      fingerprint: fingerprint)
    }

    /// Sets the token ids of many passages in one transaction (same rules as `setNameTokens`).
    public func setPassageTokens(_ updates: [(passageID: PassageID, tokens: [TokenID])],
                                 fingerprint: String? = nil) throws {
        try setTokens(table: "passages", kind: "passage", updates: updates.map { ($0.passageID, $0.tokens) },
                      fingerprint: fingerprint)
    }

    private func setTokens(table: String, kind: String, updates: [(Int64, [TokenID])], fingerprint: String?) throws {
        try write("writing \(kind) tokens") { db in
            if let fingerprint { try checkOrBind(fingerprint: fingerprint, db) }
            _ = try requireBoundTokenizer(db)
            let statement = try db.cachedStatement(sql: "UPDATE \(table) SET tokens = ? WHERE id = ?")
            for (id, tokens) in updates {
                try statement.execute(arguments: [BlobCoding.data(tokens: tokens), id])
                if db.changesCount == 0 { throw StoreError.notFound(kind: kind, key: String(id)) }
            }
        }
    }

    /// Calls `body` for every name in id order, from one consistent snapshot, holding one row
    /// in memory at a time. With `onlyUntokenized`, names whose tokens are nil (to tokenize
    /// after an import). `body` must not call back into the store; throwing stops the walk.
    public func forEachName(onlyUntokenized: Bool = false, _ body: (NameRecord) throws -> Void) throws {
        let filter = onlyUntokenized ? "WHERE tokens IS NULL" : ""
        try read("reading names") { db in
            let rows = try Row.fetchCursor(db, sql: """
                SELECT id, entity_id, language, name, is_canonical, tokens FROM names \(filter) ORDER BY id
                """)
            while let row = try rows.next() { try body(try nameRecord(row)) }
        }
    }

    /// Calls `body(passage)` for every passage in id order with its text and tokens, one row
    /// at a time from one snapshot. With `onlyUntokenized`, passages whose tokens are nil.
    public func forEachPassage(onlyUntokenized: Bool = false, _ body: (PassageRecord) throws -> Void) throws {
        let filter = onlyUntokenized ? "WHERE tokens IS NULL" : ""
        try read("reading passages") { db in
            let rows = try Row.fetchCursor(db, sql: "SELECT id, key, title, text, tokens FROM passages \(filter) ORDER BY id")
            while let row = try rows.next() { try body(try passageRecord(row)) }
        }
    }

    /// Calls `body(passageID, tokens)` for every passage in id order, tokens nil when not yet
    /// tokenized, without reading the text (the FM-index build path).
    public func forEachPassageTokens(_ body: (PassageID, [TokenID]?) throws -> Void) throws {
        try read("reading passage tokens") { db in
            let rows = try Row.fetchCursor(db, sql: "SELECT id, tokens FROM passages ORDER BY id")
            while let row = try rows.next() {
                let id: PassageID = row[0]
                let tokens = try row.withUnsafeData(atIndex: 1) { data in
                    try decodedTokens(data, what: "tokens of passage \(id)")
                }
                try body(id, tokens)
            }
        }
    }
}
