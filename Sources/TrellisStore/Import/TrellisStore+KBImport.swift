import Foundation
import GRDB

/// One line of a KB JSONL file.
///
/// Format (one JSON object per line; unknown fields are ignored):
/// ```
/// {"key": "Q90", "name": "Paris", "aliases": ["City of Light"],
///  "names": {"fr": ["Paris"], "de": "Paris"}, "language": "en",
///  "description": "capital of France", "popularity": 123}
/// ```
/// - `key` (required): stable id; `id` or `title` are read when `key` is absent.
/// - `name` (required): canonical name; `title` or `label` when absent.
/// - `aliases`: more names in the record's `language` (default: the import's default language).
/// - `names`: names per language, each a string or an array of strings.
/// - `description`; `popularity` (a number; `in_count` when absent).
///
/// So the shared Wikipedia KB's lines (`{"title", "in_count", "description", ...}`) read as is:
/// key = name = title, popularity = in_count.
struct KBLine: Decodable {
    var key: String?
    var name: String?
    var language: String?
    var aliases: [String]
    var names: [String: [String]]
    var description: String?
    var popularity: Double?

    init(from decoder: Decoder) throws {
        let fields = try decoder.container(keyedBy: FieldKey.self)
        key = try fields.first(String.self, ["key", "id", "title"])
        name = try fields.first(String.self, ["name", "title", "label"])
        language = try fields.first(String.self, ["language"])
        aliases = try fields.first([String].self, ["aliases"]) ?? []
        description = try fields.first(String.self, ["description"])
        popularity = try fields.first(Double.self, ["popularity", "in_count"])
        names = [:]
        let namesKey = FieldKey("names")
        if fields.contains(namesKey), try !fields.decodeNil(forKey: namesKey) {
            let perLanguage = try fields.nestedContainer(keyedBy: FieldKey.self, forKey: namesKey)
            for language in perLanguage.allKeys {
                if let one = try? perLanguage.decode(String.self, forKey: language) {
                    names[language.stringValue] = [one]
                } else if let list = try? perLanguage.decode([String].self, forKey: language) {
                    names[language.stringValue] = list
                } else {
                    throw LineRejection(message: "field \"names.\(language.stringValue)\": expected a string or an array of strings")
                }
            }
        }
    }
}

extension TrellisStore {
    /// Imports a KB JSONL file (format: see `KBLine`) in one transaction: entities are
    /// upserted by key (name, description, popularity overwritten), and their names replaced
    /// or merged per `options.nameUpdates`. Names that survive keep their id and token blob;
    /// new names need tokenizing (`forEachName` shows `tokens == nil`).
    /// Throws `StoreError.malformedLine` (under `.fail`) and leaves the store unchanged.
    @discardableResult
    public func importKnowledgeBase(from path: String, options: ImportOptions = ImportOptions(),
                                    progress: ImportProgress? = nil) throws -> ImportSummary {
        let decoder = JSONLineDecoder()
        return try runImport("importing KB", path: path, options: options, progress: progress,
                             countTable: "entities") { db, _, line, summary in
            let record = try decoder.decode(KBLine.self, from: line)
            let key = try Self.required(record.key, "key")
            let name = try Self.required(record.name, "name")
            let popularity = try Self.finite(record.popularity, "popularity")
            let language = record.language ?? options.defaultLanguage
            var names = [EntityName(language: language, name: name, isCanonical: true)]
            names += record.aliases.map { EntityName(language: language, name: $0) }
            for (otherLanguage, list) in record.names.sorted(by: { $0.key < $1.key }) {
                names += list.map { EntityName(language: otherLanguage, name: $0) }
            }
            try upsertEntity(key: key, name: name, description: record.description, popularity: popularity,
                             names: Self.normalizedNames(names), policy: options.nameUpdates, db)
            summary.records += 1
        }
    }

    /// Inserts or updates one entity and its names (inside the caller's transaction).
    func upsertEntity(key: String, name: String, description: String?, popularity: Double?,
                      names: [EntityName], policy: ImportOptions.NameUpdatePolicy, _ db: Database) throws {
        let find = try db.cachedStatement(sql: "SELECT id FROM entities WHERE key = ?")
        guard let id = try EntityID.fetchOne(find, arguments: [key]) else {
            let id = try insertEntity(key: key, name: name, description: description, popularity: popularity, db)
            try insertNames(names, entityID: id, db)
            return
        }
        switch policy {
        case .replace:
            let update = try db.cachedStatement(
                sql: "UPDATE entities SET name = ?, description = ?, popularity = ? WHERE id = ?")
            try update.execute(arguments: [name, description, popularity, id])
            // Delete only the names the record no longer has, so the others keep their tokens.
            let wanted = Set(names.map { NameKey(language: $0.language, name: $0.name) })
            let existing = try db.cachedStatement(sql: "SELECT id, language, name FROM names WHERE entity_id = ?")
            let delete = try db.cachedStatement(sql: "DELETE FROM names WHERE id = ?")
            for row in try Row.fetchAll(existing, arguments: [id]) {
                if !wanted.contains(NameKey(language: row[1], name: row[2])) {
                    try delete.execute(arguments: [row[0] as NameID])
                }
            }
        case .merge:
            let update = try db.cachedStatement(sql: """
                UPDATE entities SET name = ?, description = COALESCE(?, description),
                popularity = COALESCE(?, popularity) WHERE id = ?
                """)
            try update.execute(arguments: [name, description, popularity, id])
            // The record's canonical name replaces the old one's flag.
            let clear = try db.cachedStatement(
                sql: "UPDATE names SET is_canonical = 0 WHERE entity_id = ? AND is_canonical = 1")
            try clear.execute(arguments: [id])
        }
        try insertNames(names, entityID: id, db)
    }
}
