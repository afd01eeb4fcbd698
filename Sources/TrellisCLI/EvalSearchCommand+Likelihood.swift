import ArgumentParser
import Foundation
import TrellisCore
import TrellisSearch
import TrellisStore

/// Query-likelihood scores of (query, passage) pairs kept in a JSONL file, one pair a line, so an
/// interrupted evaluation resumes and fusion can be studied offline. Each line carries the
/// rescoring configuration (token budget and prompt); lines of another configuration are ignored.
/// Loading is O(lines); appending one chunk is O(chunk).
struct LikelihoodScoreFile {
    struct Line: Codable {
        let query: String
        let key: String
        let score: Double
        let config: String
    }
    let path: String
    let config: String
    private(set) var scores: [String: [String: Double]] = [:]

    init(path: String, options: QueryLikelihoodOptions) throws {
        self.path = path
        self.config = "\(options.passageTokenBudget)+\(options.passageTailTokens)|\(options.passagePrefix)|\(options.passageGap)|\(options.querySuffix)"
        if FileManager.default.fileExists(atPath: path) {
            let text = try String(contentsOfFile: path, encoding: .utf8)
            let decoder = JSONDecoder()
            for line in text.split(separator: "\n") {
                guard let l = try? decoder.decode(Line.self, from: Data(line.utf8)), l.config == config else { continue }
                scores[l.query, default: [:]][l.key] = l.score
            }
        } else {
            FileManager.default.createFile(atPath: path, contents: nil)
        }
    }

    func score(query: String, key: String) -> Double? { scores[query]?[key] }

    mutating func append(_ lines: [(query: String, key: String, score: Double)]) throws {
        guard let handle = FileHandle(forWritingAtPath: path) else { throw ValidationError("cannot append to \(path)") }
        defer { try? handle.close() }
        try handle.seekToEnd()
        let encoder = JSONEncoder()
        var data = Data()
        for l in lines {
            data += try encoder.encode(Line(query: l.query, key: l.key, score: l.score, config: config)) + Data("\n".utf8)
            scores[l.query, default: [:]][l.key] = l.score
        }
        try handle.write(contentsOf: data)
    }
}

extension EvalSearchCommand {
    /// Scores every (query, BM25 top-`depth` passage) pair missing from `file`, grouped by passage
    /// so each passage prompt is prefilled once for all the queries that rescore it, passages in
    /// order of the first query needing them. Ranks below 20 go first (a complete depth-20 table even if the run is stopped), then the rest; each
    /// chunk of about `chunkPairs` pairs is appended to the file as soon as it is scored.
    /// Returns the seconds spent in the model and the pairs scored.
    static func precomputeLikelihoods(queries: [(id: String, text: String)], bm25: [[SearchHit]], depth: Int,
                                      store: TrellisStore, keyOf: [PassageID: String], reranker: QueryLikelihoodReranker,
                                      file: inout LikelihoodScoreFile, chunkPairs: Int = 128) throws -> (seconds: Double, pairs: Int) {
        let tiers = depth > 20 ? [0..<20, 20..<depth] : [0..<depth]
        var seconds = 0.0, scored = 0
        for tier in tiers {
            // Passages in order of the first query that needs them: every passage is still
            // prefilled once, and a stopped run leaves a complete prefix of the queries.
            var byPassage: [PassageID: [Int]] = [:]
            var ids: [PassageID] = []
            for (qi, hits) in bm25.enumerated() {
                for hit in hits.dropFirst(tier.lowerBound).prefix(tier.count)
                where file.score(query: queries[qi].id, key: keyOf[hit.passageID] ?? "") == nil {
                    if byPassage[hit.passageID] == nil { ids.append(hit.passageID) }
                    byPassage[hit.passageID, default: []].append(qi)
                }
            }
            let total = byPassage.values.reduce(0) { $0 + $1.count }
            guard total > 0 else { continue }
            let bar = ProgressReporter("rescoring ranks \(tier.lowerBound + 1)-\(tier.upperBound) (\(ids.count) passages)")
            var start = 0, done = 0
            while start < ids.count {
                var end = start, pairs = 0
                while end < ids.count, pairs < chunkPairs { pairs += byPassage[ids[end]]!.count; end += 1 }
                var tokensOf: [PassageID: [TokenID]] = [:]
                for record in try store.passages(ids: Array(ids[start..<end])) { tokensOf[record.id] = record.tokens ?? [] }
                var batch: [QueryPassagePair] = [], owners: [(query: String, key: String)] = []
                for id in ids[start..<end] {
                    guard let tokens = tokensOf[id], let key = keyOf[id] else { continue }
                    for qi in byPassage[id]! {
                        batch.append(QueryPassagePair(query: queries[qi].text, passage: tokens))
                        owners.append((queries[qi].id, key))
                    }
                }
                let t0 = Date()
                let values = try reranker.scores(pairs: batch)
                seconds += Date().timeIntervalSince(t0)
                try file.append(zip(owners, values).map { ($0.query, $0.key, $1) })
                done += pairs
                scored += batch.count
                bar.update(done, total)
                start = end
            }
            bar.finish(String(format: "%d pairs, %.0f s in the model", total, seconds))
        }
        return (seconds, scored)
    }
}
