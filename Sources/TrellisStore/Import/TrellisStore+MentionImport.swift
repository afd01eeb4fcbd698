import Foundation
import GRDB

/// The input formats of the mention table.
///
/// - `.jsonLines`: one surface form per line,
///   `{"mention": "Jordan", "candidates": [{"key": "Q41", "prior": 0.7}, ...]}`
///   (`surface` for `mention`; `title` or `id` for `key`; `count` for `prior`).
/// - `.tsv`: one pair per line, `surface<TAB>key<TAB>prior`; a first line whose first
///   field is `mention` or `surface` is a header.
/// - `.inferred`: `.tsv` for files ending in `.tsv`/`.tab`, else `.jsonLines`.
public enum MentionFileFormat: Sendable {
    case jsonLines, tsv, inferred
}

struct MentionLine: Decodable {
    struct Candidate: Decodable {
        var key: String?
        var prior: Double?

        init(from decoder: Decoder) throws {
            let fields = try decoder.container(keyedBy: FieldKey.self)
            key = try fields.first(String.self, ["key", "title", "id"])
            prior = try fields.first(Double.self, ["prior", "count"])
        }
    }

    var mention: String?
    var candidates: [Candidate]

    init(from decoder: Decoder) throws {
        let fields = try decoder.container(keyedBy: FieldKey.self)
        mention = try fields.first(String.self, ["mention", "surface"])
        candidates = try fields.first([Candidate].self, ["candidates"]) ?? []
    }
}

extension TrellisStore {
    /// Imports a mention/candidate table in one transaction: each (surface, entity) pair is
    /// upserted with its prior, stored as given (p(e|m) or a count). Pairs are never deleted,
    /// so a re-import is idempotent and several files add up. Candidates whose key is not in
    /// the KB are skipped and counted (`unknownEntityKeys`): candidate tables are usually wider
    /// than the KB. The surface is kept exactly (not trimmed: spacing may matter to the caller).
    @discardableResult
    public func importMentions(from path: String, format: MentionFileFormat = .inferred,
                               options: ImportOptions = ImportOptions(),
                               progress: ImportProgress? = nil) throws -> ImportSummary {
        var resolved = format
        if format == .inferred {
            let lower = path.lowercased()
            resolved = lower.hasSuffix(".tsv") || lower.hasSuffix(".tab") ? .tsv : .jsonLines
        }
        let decoder = JSONLineDecoder()
        return try runImport("importing mentions", path: path, options: options, progress: progress,
                             countTable: "mentions") { db, lineNumber, line, summary in
            let pairs: [(surface: String, key: String, prior: Double)]
            if resolved == .tsv {
                guard let pair = try Self.parseMentionTSV(line, lineNumber: lineNumber) else { return }
                pairs = [pair]
            } else {
                let record = try decoder.decode(MentionLine.self, from: line)
                guard let surface = record.mention, !surface.isEmpty else {
                    throw LineRejection(message: "missing or empty mention")
                }
                pairs = try record.candidates.enumerated().map { index, candidate in
                    let key = try Self.required(candidate.key, "key of candidate \(index)")
                    guard let prior = try Self.finite(candidate.prior, "prior of candidate \(index)") else {
                        throw LineRejection(message: "missing prior of candidate \(index)")
                    }
                    return (surface, key, prior)
                }
            }
            let find = try db.cachedStatement(sql: "SELECT id FROM entities WHERE key = ?")
            for pair in pairs {
                guard let entityID = try EntityID.fetchOne(find, arguments: [pair.key]) else {
                    summary.unknownEntityKeys += 1
                    if summary.unknownEntityKeyExamples.count < 10 { summary.unknownEntityKeyExamples.append(pair.key) }
                    continue
                }
                try upsertMention(surface: pair.surface, entityID: entityID, prior: pair.prior, db)
                summary.records += 1
            }
        }
    }

    /// One TSV pair, or nil for the header line.
    static func parseMentionTSV(_ line: UnsafeRawBufferPointer, lineNumber: Int) throws
        -> (surface: String, key: String, prior: Double)? {
        guard let text = String(validating: line, as: UTF8.self) else {
            throw LineRejection(message: "not valid UTF-8")
        }
        let fields = text.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
        if lineNumber == 1, let first = fields.first?.lowercased(), first == "mention" || first == "surface" {
            return nil
        }
        guard fields.count == 3 else {
            throw LineRejection(message: "expected 3 tab-separated fields (surface, key, prior), found \(fields.count)")
        }
        guard !fields[0].isEmpty else { throw LineRejection(message: "empty surface") }
        let key = try required(fields[1], "key")
        guard let prior = Double(fields[2].trimmingCharacters(in: .whitespaces)), prior.isFinite else {
            throw LineRejection(message: "prior \"\(fields[2])\" is not a finite number")
        }
        return (fields[0], key, prior)
    }
}
