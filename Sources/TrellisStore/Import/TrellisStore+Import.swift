import Foundation
import GRDB

/// The loop every importer shares: one write transaction per file, progress every
/// `options.progressInterval` lines, blank lines ignored, malformed lines failed or skipped.
extension TrellisStore {
    typealias LineHandler = (_ db: Database, _ lineNumber: Int, _ line: UnsafeRawBufferPointer,
                             _ summary: inout ImportSummary) throws -> Void

    func runImport(_ operation: String, path: String, options: ImportOptions, progress: ImportProgress?,
                   countTable: String, handleLine: LineHandler) throws -> ImportSummary {
        let file = try LineFile(path: path)
        return try write("\(operation) \(path)") { db in
            let before = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \(countTable)") ?? 0
            let total = file.lineCount()
            var summary = ImportSummary()
            try progress?(0, total)
            try file.forEachLine { lineNumber, line in
                summary.lines = lineNumber
                if !LineFile.isBlank(line) {
                    do {
                        try handleLine(db, lineNumber, line, &summary)
                    } catch let rejection as LineRejection {
                        switch options.malformedLines {
                        case .fail:
                            throw StoreError.malformedLine(path: path, line: lineNumber, message: rejection.message)
                        case .skip:
                            summary.skippedLines.append(lineNumber)
                            if summary.firstSkipReason == nil {
                                summary.firstSkipReason = "line \(lineNumber): \(rejection.message)"
                            }
                        }
                    }
                }
                if lineNumber % options.progressInterval == 0 { try progress?(lineNumber, total) }
            }
            try progress?(summary.lines, total)
            let after = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \(countTable)") ?? 0
            summary.inserted = after - before
            return summary
        }
    }

    /// A required non-empty string field, trimmed.
    static func required(_ value: String?, _ field: String) throws -> String {
        let trimmed = value?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        guard !trimmed.isEmpty else { throw LineRejection(message: "missing or empty \(field)") }
        return trimmed
    }

    static func finite(_ value: Double?, _ field: String) throws -> Double? {
        guard let value else { return nil }
        guard value.isFinite else { throw LineRejection(message: "\(field) \(value) is not finite") }
        return value
    }
}
