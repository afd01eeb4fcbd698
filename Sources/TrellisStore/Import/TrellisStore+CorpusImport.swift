import Foundation
import GRDB

/// One line of a corpus JSONL file: BEIR's `corpus.jsonl` as is.
/// `{"_id": "4983", "title": "...", "text": "..."}`; `id` or `key` when `_id` is absent;
/// `title` optional (empty); `text` required (may be empty); other fields ignored.
struct CorpusLine: Decodable {
    var key: String?
    var title: String?
    var text: String?

    init(from decoder: Decoder) throws {
        let fields = try decoder.container(keyedBy: FieldKey.self)
        key = try fields.first(String.self, ["_id", "id", "key"])
        title = try fields.first(String.self, ["title"])
        text = try fields.first(String.self, ["text"])
    }
}

extension TrellisStore {
    /// Imports passages from a corpus JSONL file in one transaction, upserting by key. A
    /// passage whose title or text changed loses its token blob (it must be re-tokenized);
    /// an unchanged one keeps it and is not re-indexed. The FTS5 index follows by trigger.
    @discardableResult
    public func importCorpus(from path: String, options: ImportOptions = ImportOptions(),
                             progress: ImportProgress? = nil) throws -> ImportSummary {
        let decoder = JSONLineDecoder()
        return try runImport("importing corpus", path: path, options: options, progress: progress,
                             countTable: "passages") { db, _, line, summary in
            let record = try decoder.decode(CorpusLine.self, from: line)
            let key = try Self.required(record.key, "_id")
            guard let text = record.text else { throw LineRejection(message: "missing field \"text\"") }
            try upsertPassage(key: key, title: record.title ?? "", text: text, db)
            summary.records += 1
        }
    }

    /// Adds or updates one passage; returns its id.
    @discardableResult
    public func upsertPassage(key: String, title: String, text: String) throws -> PassageID {
        let key = key.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !key.isEmpty else { throw StoreError.invalidArgument("passage key is empty") }
        return try write("writing passage \(key)") { db in
            try upsertPassage(key: key, title: title, text: text, db)
            return try PassageID.fetchOne(db, sql: "SELECT id FROM passages WHERE key = ?", arguments: [key])!
        }
    }

    func upsertPassage(key: String, title: String, text: String, _ db: Database) throws {
        let statement = try db.cachedStatement(sql: """
            INSERT INTO passages(key, title, text) VALUES (?, ?, ?)
            ON CONFLICT(key) DO UPDATE SET title = excluded.title, text = excluded.text, tokens = NULL
            WHERE title IS NOT excluded.title OR text IS NOT excluded.text
            """)
        try statement.execute(arguments: [key, title, text])
    }
}
