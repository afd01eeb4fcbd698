import TrellisCore
import Foundation
import TrellisTestSupport
import XCTest
@testable import TrellisStore

/// Import throughput on synthetic data. Skipped unless TRELLIS_BENCH=1 (run in release:
/// `TRELLIS_BENCH=1 swift test -c release --filter TrellisStoreTests.ImportSpeedTests`).
final class ImportSpeedTests: XCTestCase {
    private func requireBench() throws {
        try XCTSkipUnless(ProcessInfo.processInfo.environment["TRELLIS_BENCH"] == "1", "set TRELLIS_BENCH=1")
    }

    private func seconds(_ body: () throws -> Void) rethrows -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        try body()
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }

    func testImportSpeed() throws {
        try requireBench()
        let folder = try TemporaryFolder()
        var random = SplitMix64(seed: 42)
        let syllables = ["ka", "lo", "mi", "ra", "then", "vor", "us", "el", "dan", "qui", "ber", "sto"]
        func word() -> String { (0..<Int.random(in: 2...4, using: &random)).map { _ in syllables.randomElement(using: &random)! }.joined() }

        let entityCount = 50_000
        let kbLines = (0..<entityCount).map { i -> String in
            jsonLine(["key": "Q\(i)", "name": "\(word().capitalized) \(word().capitalized)",
                      "aliases": [word(), word()], "names": ["fr": [word()], "de": [word()]],
                      "description": (0..<12).map { _ in word() }.joined(separator: " "),
                      "popularity": Int.random(in: 0...100_000, using: &random)])
        }
        let kbPath = try folder.write("kb.jsonl", lines: kbLines)
        let passageCount = 5_000
        let corpusLines = (0..<passageCount).map { i -> String in
            jsonLine(["_id": "\(i)", "title": (0..<6).map { _ in word() }.joined(separator: " "),
                      "text": (0..<200).map { _ in word() }.joined(separator: " ")])
        }
        let corpusPath = try folder.write("corpus.jsonl", lines: corpusLines)
        let mentionLines = (0..<entityCount / 2).map { i -> String in
            jsonLine(["mention": word(), "candidates": (0..<4).map { k in ["key": "Q\((i * 7 + k * 13) % entityCount)", "prior": 0.25] }])
        }
        let mentionPath = try folder.write("mentions.jsonl", lines: mentionLines)

        let store = try TrellisStore(path: folder.path("bench.sqlite"))
        var kbSummary = ImportSummary()
        let kbSeconds = try seconds { kbSummary = try store.importKnowledgeBase(from: kbPath) }
        let counts = try store.counts()
        let reimportSeconds = try seconds { try store.importKnowledgeBase(from: kbPath) }
        var mentionSummary = ImportSummary()
        let mentionSeconds = try seconds { mentionSummary = try store.importMentions(from: mentionPath) }
        let corpusSeconds = try seconds { try store.importCorpus(from: corpusPath) }
        let tokenSeconds = try seconds {
            var batch: [(nameID: NameID, tokens: [Int32])] = []
            try store.forEachName { batch.append(($0.id, [1, 2, 3, 4, 5, 6])) }
            try store.setNameTokens(batch, fingerprint: "bench")
        }
        var streamed = 0
        let streamSeconds = try seconds { try store.forEachName { streamed += $0.tokens?.count ?? 0 } }
        var hits = 0
        let queries = (0..<200).map { _ in (0..<8).map { _ in word() }.joined(separator: " ") }
        let searchSeconds = try seconds { for q in queries { hits += try store.bm25Search(query: q, limit: 10).count } }
        let corpusBytes = corpusLines.reduce(0) { $0 + $1.utf8.count }

        print("""
            [store bench] KB: \(kbSummary.records) entities + \(counts.names) names in \(String(format: "%.2f", kbSeconds)) s \
            = \(Int(Double(kbSummary.records) / kbSeconds)) entities/s, \(Int(Double(counts.names + kbSummary.records) / kbSeconds)) rows/s
            [store bench] KB re-import (no changes): \(String(format: "%.2f", reimportSeconds)) s = \(Int(Double(entityCount) / reimportSeconds)) entities/s
            [store bench] mentions: \(mentionSummary.records) pairs in \(String(format: "%.2f", mentionSeconds)) s = \(Int(Double(mentionSummary.records) / mentionSeconds)) pairs/s
            [store bench] corpus: \(passageCount) passages (\(corpusBytes / 1_000_000) MB) in \(String(format: "%.2f", corpusSeconds)) s \
            = \(Int(Double(passageCount) / corpusSeconds)) passages/s (FTS5 indexing included)
            [store bench] set+stream tokens of \(counts.names) names: set \(String(format: "%.2f", tokenSeconds)) s (incl. stream), \
            stream \(String(format: "%.3f", streamSeconds)) s
            [store bench] BM25: \(queries.count) 8-term queries in \(String(format: "%.3f", searchSeconds)) s \
            = \(String(format: "%.2f", searchSeconds / Double(queries.count) * 1000)) ms/query
            """)
        XCTAssertEqual(kbSummary.records, entityCount)
        XCTAssertEqual(streamed, counts.names * 6)
        XCTAssertGreaterThan(hits, 0)
    }

    func testHMMSaveLoadSpeed() throws {
        try requireBench()
        let folder = try TemporaryFolder()
        let store = try TrellisStore(path: folder.path("hmm.sqlite"))
        let hidden = 256, vocabulary = 49_152
        let model = try store.createHMMModel(name: "bench", tokenizerFingerprint: "t", modelFingerprint: "m",
                                             hiddenStates: hidden, vocabularySize: vocabulary)
        var random = SplitMix64(seed: 3)
        let emission = (0..<hidden * vocabulary).map { _ in Float.random(in: 0..<1, using: &random) }
        let tensor = HMMTensor(kind: HMMTensor.emission, rows: hidden, columns: vocabulary, values: emission)
        let saveSeconds = try seconds { try store.saveHMMTensors([tensor], model: model.id, checkpoint: (1, -1)) }
        var loaded: HMMTensor?
        let loadSeconds = try seconds { loaded = try store.loadHMMTensor(kind: HMMTensor.emission, model: model.id) }
        let megabytes = Double(emission.count * 4) / 1_048_576
        print("""
            [store bench] HMM emission \(hidden)x\(vocabulary) (\(Int(megabytes)) MiB): save \(String(format: "%.2f", saveSeconds)) s \
            (\(Int(megabytes / saveSeconds)) MiB/s), load \(String(format: "%.2f", loadSeconds)) s (\(Int(megabytes / loadSeconds)) MiB/s)
            """)
        XCTAssertEqual(loaded?.values, emission)
    }
}
