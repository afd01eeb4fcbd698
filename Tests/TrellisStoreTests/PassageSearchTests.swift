import TrellisTestSupport
import XCTest
@testable import TrellisStore

final class PassageSearchTests: XCTestCase {
    private let corpus: [[String: Any]] = [
        ["_id": "d1", "title": "Cats", "text": "The cat sat on the mat. Cats purr when content."],
        ["_id": "d2", "title": "Dogs", "text": "Dogs bark at cats and chase them around the yard."],
        ["_id": "d3", "title": "Quantum computing", "text": "Qubits use superposition and entanglement."],
        ["id": "d4", "title": "Café culture", "text": "Parisian cafés serve espresso; \"quoted\" AND (odd) text*."],
        ["_id": "d5", "text": "An untitled passage about vitamin D deficiency and bone density.", "metadata": [:]],
    ]

    private func makeStore() throws -> (TrellisStore, TemporaryFolder, String) {
        let folder = try TemporaryFolder()
        let path = try folder.write("corpus.jsonl", lines: corpus.map(jsonLine))
        let store = try TrellisStore(path: folder.path("search.sqlite"))
        let summary = try store.importCorpus(from: path)
        XCTAssertEqual(summary.records, 5)
        XCTAssertEqual(summary.inserted, 5)
        return (store, folder, path)
    }

    func testImportRoundTrip() throws {
        let (store, _, _) = try makeStore()
        let d4 = try XCTUnwrap(store.passage(key: "d4"))
        XCTAssertEqual(d4.title, "Café culture")
        XCTAssertNil(d4.tokens)
        XCTAssertEqual(try store.passage(id: d4.id), d4)
        XCTAssertEqual(try store.passage(key: "d5")?.title, "")
        XCTAssertEqual(try store.passages(ids: [d4.id, 77, 1]).map(\.key), ["d4", "d1"])
        try store.checkFullTextIndex()
    }

    func testBM25RanksTheObviousPassageFirst() throws {
        let (store, _, _) = try makeStore()
        XCTAssertEqual(try store.bm25Search(query: "quantum qubits", limit: 3).map(\.key), ["d3"])
        let cats = try store.bm25Search(query: "cat purring", limit: 10)
        XCTAssertEqual(cats.first?.key, "d1")  // porter stemming: cat/cats, purr/purring
        XCTAssertEqual(Set(cats.map(\.key)), ["d1", "d2"])
        XCTAssertTrue(zip(cats, cats.dropFirst()).allSatisfy { $0.score >= $1.score })
        XCTAssertTrue(cats.allSatisfy { $0.score > 0 })
        XCTAssertEqual(try store.bm25Search(query: "cafe", limit: 5).map(\.key), ["d4"])  // diacritics folded
        XCTAssertEqual(try store.bm25Search(query: "Vitamin-D deficiency?", limit: 5).first?.key, "d5")
        XCTAssertEqual(try store.bm25Search(query: "cat", limit: 1).count, 1)
        XCTAssertEqual(try store.bm25Search(query: "cat", limit: 0), [])
        // Title weight moves a title match up.
        let titleHeavy = try store.bm25Search(query: "dogs cats", limit: 2, titleWeight: 10, textWeight: 1)
        XCTAssertEqual(Set(titleHeavy.map(\.key)), ["d1", "d2"])
    }

    func testHostileQueriesNeverSurfaceSQLErrors() throws {
        let (store, _, _) = try makeStore()
        let hostile = [
            "", "   ", "\"", "\"\"", "'", "cat\"", "\"cat", "AND", "OR", "NOT", "cat AND", "AND cat", "NEAR(cat dog)",
            "cat NOT", "*", "cat*", "^cat", "title:cat", "title : cat", "(", ")", "(cat", "cat)", "{title}: cat",
            "-cat", "+cat", "cat OR OR dog", "'; DROP TABLE passages; --", "\\", "%", "_", "\0cat",
            "über naïve 東京 café 🤖", "🤖", "\u{301}", String(repeating: "cat ", count: 5000),
            "a\nb\tc", "cat's", "d1", "x:y:z", "\"quoted\" AND (odd) text*",
        ]
        for query in hostile {
            XCTAssertNoThrow(try store.bm25Search(query: query, limit: 5), "query \(query.debugDescription)")
        }
        XCTAssertEqual(try store.bm25Search(query: "\"quoted\" AND (odd) text*", limit: 5).first?.key, "d4")
        XCTAssertEqual(try store.bm25Search(query: "NEAR(cat dog)", limit: 5).first?.key, "d2")
        XCTAssertEqual(try store.bm25Search(query: "*", limit: 5), [])
        XCTAssertEqual(try store.counts().passages, 5)  // the DROP attempt was just text
    }

    func testQueryTermsAreQuotedAndDeduplicated() {
        XCTAssertEqual(FullTextQuery.matchExpression(for: "Cat AND cat (dog)*"), "\"cat\" OR \"and\" OR \"dog\"")
        XCTAssertNil(FullTextQuery.matchExpression(for: "\"*()^:-+"))
        XCTAssertEqual(FullTextQuery.terms(in: "naïve café 東京 x2"), ["naïve", "café", "東京", "x2"])
        XCTAssertEqual(FullTextQuery.terms(in: (0..<1000).map { "w\($0)" }.joined(separator: " ")).count,
                       FullTextQuery.maximumTerms)
    }

    func testReimportKeepsTokensOfUnchangedPassagesAndReindexesChangedOnes() throws {
        let (store, folder, path) = try makeStore()
        var ids: [PassageID] = []
        try store.forEachPassageTokens { id, _ in ids.append(id) }
        try store.setPassageTokens(ids.map { ($0, [Int32($0), 1]) }, fingerprint: "tok")

        XCTAssertEqual(try store.importCorpus(from: path).inserted, 0)
        XCTAssertEqual(try store.counts().tokenizedPassages, 5)

        let changed = try folder.write("corpus2.jsonl", lines: [
            jsonLine(["_id": "d3", "title": "Quantum computing", "text": "Photons and lasers."]),
            jsonLine(["_id": "d6", "title": "Lasers", "text": "Stimulated emission."]),
        ])
        let summary = try store.importCorpus(from: changed)
        XCTAssertEqual(summary.records, 2)
        XCTAssertEqual(summary.inserted, 1)
        XCTAssertNil(try store.passage(key: "d3")?.tokens)
        XCTAssertEqual(try store.counts().tokenizedPassages, 4)
        XCTAssertEqual(try store.bm25Search(query: "qubits", limit: 5), [])
        XCTAssertEqual(try store.bm25Search(query: "photons", limit: 5).map(\.key), ["d3"])
        XCTAssertEqual(Set(try store.bm25Search(query: "lasers", limit: 5).map(\.key)), ["d3", "d6"])
        try store.checkFullTextIndex()
        try store.rebuildFullTextIndex()
        try store.checkFullTextIndex()
    }

    func testMalformedCorpusLineRollsBack() throws {
        let folder = try TemporaryFolder()
        let store = try TrellisStore.inMemory()
        let path = try folder.write("bad.jsonl", lines: [
            jsonLine(["_id": "a", "text": "fine"]), jsonLine(["_id": "b", "title": "no text"]),
        ])
        XCTAssertThrowsError(try store.importCorpus(from: path)) { error in
            XCTAssertEqual(error as? StoreError, .malformedLine(path: path, line: 2, message: "missing field \"text\""))
        }
        XCTAssertEqual(try store.counts().passages, 0)
        XCTAssertEqual(try store.bm25Search(query: "fine"), [])
        let skipped = try store.importCorpus(from: path, options: .init(malformedLines: .skip))
        XCTAssertEqual(skipped.skippedLines, [2])
        XCTAssertEqual(try store.bm25Search(query: "fine").map(\.key), ["a"])
    }
}
