import Foundation
import GRDB
import TrellisCore

/// The result of `addEntity`: the new entity and all its name rows (ids for the trie overlay).
public struct AddedEntity: Sendable, Equatable {
    public var entity: EntityRecord
    public var names: [NameRecord]
}

/// Entities and names: single additions (`trellis kb add`) and lookups.
extension TrellisStore {
    /// Adds one new entity with its canonical name (in `language`) and `otherNames`, in one
    /// transaction, and returns the rows, so the caller can tokenize and overlay them at once.
    /// Throws `StoreError.duplicateKey` if `key` exists (use `addNames` to extend an entity).
    public func addEntity(key: String, name: String, language: String = "en", description: String? = nil,
                          popularity: Double? = nil, otherNames: [EntityName] = []) throws -> AddedEntity {
        let key = key.trimmingCharacters(in: .whitespacesAndNewlines)
        let canonical = name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !key.isEmpty else { throw StoreError.invalidArgument("entity key is empty") }
        guard !canonical.isEmpty else { throw StoreError.invalidArgument("entity \(key): name is empty") }
        let names = Self.normalizedNames([EntityName(language: language, name: canonical, isCanonical: true)] + otherNames)
        return try write("adding entity \(key)") { db in
            if try EntityID.fetchOne(db, sql: "SELECT id FROM entities WHERE key = ?", arguments: [key]) != nil {
                throw StoreError.duplicateKey(kind: "entity", key: key)
            }
            let id = try insertEntity(key: key, name: canonical, description: description,
                                      popularity: popularity, db)
            try insertNames(names, entityID: id, db)
            let entity = EntityRecord(id: id, key: key, name: canonical, description: description,
                                      popularity: popularity)
            return AddedEntity(entity: entity, names: try fetchNames(ofEntity: id, db))
        }
    }

    /// Adds names to an existing entity (names it already has are kept as they are) and
    /// returns the rows of the requested names.
    public func addNames(_ names: [EntityName], toEntity entityID: EntityID) throws -> [NameRecord] {
        let names = Self.normalizedNames(names)
        return try write("adding names to entity \(entityID)") { db in
            guard try Bool.fetchOne(db, sql: "SELECT 1 FROM entities WHERE id = ?", arguments: [entityID]) != nil else {
                throw StoreError.notFound(kind: "entity", key: String(entityID))
            }
            try insertNames(names, entityID: entityID, db)
            let wanted = Set(names.map { NameKey(language: $0.language, name: $0.name) })
            return try fetchNames(ofEntity: entityID, db).filter {
                wanted.contains(NameKey(language: $0.language, name: $0.name))
            }
        }
    }

    // MARK: - Lookups

    public func entity(id: EntityID) throws -> EntityRecord? {
        try read("looking up entity \(id)") { db in
            try Row.fetchOne(db, sql: "SELECT id, key, name, description, popularity FROM entities WHERE id = ?",
                             arguments: [id]).map(Self.entityRecord)
        }
    }

    public func entity(key: String) throws -> EntityRecord? {
        try read("looking up entity \(key)") { db in
            try Row.fetchOne(db, sql: "SELECT id, key, name, description, popularity FROM entities WHERE key = ?",
                             arguments: [key]).map(Self.entityRecord)
        }
    }

    /// The entities with these ids, in the order asked; unknown ids are left out.
    public func entities(ids: [EntityID]) throws -> [EntityRecord] {
        try read("looking up entities") { db in
            let statement = try db.cachedStatement(
                sql: "SELECT id, key, name, description, popularity FROM entities WHERE id = ?")
            return try ids.compactMap { id in
                try Row.fetchOne(statement, arguments: [id]).map(Self.entityRecord)
            }
        }
    }

    /// All names of an entity, canonical first, then by language and name.
    public func names(ofEntity entityID: EntityID) throws -> [NameRecord] {
        try read("reading names of entity \(entityID)") { db in try fetchNames(ofEntity: entityID, db) }
    }

    public func name(id: NameID) throws -> NameRecord? {
        try read("looking up name \(id)") { db in
            try Row.fetchOne(db, sql: """
                SELECT id, entity_id, language, name, is_canonical, tokens FROM names WHERE id = ?
                """, arguments: [id]).map { try nameRecord($0) }
        }
    }

    /// Row counts of every table.
    public func counts() throws -> StoreCounts {
        try read("counting rows") { db in
            func count(_ sql: String) throws -> Int { try Int.fetchOne(db, sql: sql) ?? 0 }
            return StoreCounts(
                entities: try count("SELECT COUNT(*) FROM entities"),
                names: try count("SELECT COUNT(*) FROM names"),
                tokenizedNames: try count("SELECT COUNT(*) FROM names WHERE tokens IS NOT NULL"),
                mentions: try count("SELECT COUNT(*) FROM mentions"),
                passages: try count("SELECT COUNT(*) FROM passages"),
                tokenizedPassages: try count("SELECT COUNT(*) FROM passages WHERE tokens IS NOT NULL"),
                hmmModels: try count("SELECT COUNT(*) FROM hmm_models"))
        }
    }

    // MARK: - Inside a transaction

    struct NameKey: Hashable {
        var language: String
        var name: String
    }

    /// Trims, drops empty names, and merges duplicates (canonical wins), keeping first order.
    static func normalizedNames(_ names: [EntityName]) -> [EntityName] {
        var order: [NameKey] = []
        var canonical: [NameKey: Bool] = [:]
        for entry in names {
            let name = entry.name.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !name.isEmpty else { continue }
            let key = NameKey(language: entry.language.trimmingCharacters(in: .whitespacesAndNewlines), name: name)
            if let seen = canonical[key] {
                canonical[key] = seen || entry.isCanonical
            } else {
                canonical[key] = entry.isCanonical
                order.append(key)
            }
        }
        return order.map { EntityName(language: $0.language, name: $0.name, isCanonical: canonical[$0]!) }
    }

    func insertEntity(key: String, name: String, description: String?, popularity: Double?,
                      _ db: Database) throws -> EntityID {
        let statement = try db.cachedStatement(
            sql: "INSERT INTO entities(key, name, description, popularity) VALUES (?, ?, ?, ?)")
        try statement.execute(arguments: [key, name, description, popularity])
        return db.lastInsertedRowID
    }

    /// Inserts names that the entity does not have yet; fixes the canonical flag of those it has.
    func insertNames(_ names: [EntityName], entityID: EntityID, _ db: Database) throws {
        let statement = try db.cachedStatement(sql: """
            INSERT INTO names(entity_id, language, name, is_canonical) VALUES (?, ?, ?, ?)
            ON CONFLICT(entity_id, language, name) DO UPDATE SET is_canonical = excluded.is_canonical
            WHERE is_canonical IS NOT excluded.is_canonical
            """)
        for entry in names {
            try statement.execute(arguments: [entityID, entry.language, entry.name, entry.isCanonical])
        }
    }

    func fetchNames(ofEntity entityID: EntityID, _ db: Database) throws -> [NameRecord] {
        try Row.fetchAll(db, sql: """
            SELECT id, entity_id, language, name, is_canonical, tokens FROM names
            WHERE entity_id = ? ORDER BY is_canonical DESC, language, name
            """, arguments: [entityID]).map { try nameRecord($0) }
    }

    static func entityRecord(_ row: Row) -> EntityRecord {
        EntityRecord(id: row[0], key: row[1], name: row[2], description: row[3], popularity: row[4])
    }

    func nameRecord(_ row: Row) throws -> NameRecord {
        let id: NameID = row[0]
        return NameRecord(id: id, entityID: row[1], language: row[2], name: row[3], isCanonical: row[4],
                          tokens: try decodedTokens(row[5], what: "tokens of name \(id)"))
    }

    /// Token ids from an optional blob; a blob whose size is not a multiple of 4 is corrupt.
    func decodedTokens(_ data: Data?, what: String) throws -> [TokenID]? {
        guard let data else { return nil }
        guard let tokens = BlobCoding.tokens(data) else {
            throw StoreError.corruptData(path: path, what: what, message: "\(data.count) bytes is not a multiple of 4")
        }
        return tokens
    }
}
