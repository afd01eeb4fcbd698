import Foundation
import TrellisCore
import TrellisTestSupport
import XCTest
@testable import TrellisStore

final class KnowledgeBaseImportTests: XCTestCase {
    private let parisLine = jsonLine([
        "key": "Q90", "name": "Paris", "aliases": ["City of Light", "Paris"],
        "names": ["fr": ["Paris", "Ville Lumière"], "de": "Paris"],
        "description": "capital of France", "popularity": 123,
    ])
    private let jordanLine = jsonLine(["key": "Q41421", "name": "Michael Jordan", "aliases": ["MJ"]])

    private func names(_ store: TrellisStore, key: String) throws -> [String] {
        let entity = try XCTUnwrap(store.entity(key: key))
        return try store.names(ofEntity: entity.id).map { "\($0.language):\($0.name)\($0.isCanonical ? "*" : "")" }
    }

    func testImportThenQueryRoundTrip() throws {
        let folder = try TemporaryFolder()
        let path = try folder.write("kb.jsonl", lines: [parisLine, "", jordanLine])
        let store = try TrellisStore.inMemory()
        var reports: [(Int, Int?)] = []
        let summary = try store.importKnowledgeBase(from: path, options: .init(progressInterval: 1)) {
            reports.append(($0, $1))
        }
        XCTAssertEqual(summary.lines, 3)
        XCTAssertEqual(summary.records, 2)
        XCTAssertEqual(summary.inserted, 2)
        XCTAssertEqual(reports.map(\.0), [0, 1, 2, 3, 3])
        XCTAssertTrue(reports.allSatisfy { $0.1 == 3 })

        let paris = try XCTUnwrap(store.entity(key: "Q90"))
        XCTAssertEqual(paris.name, "Paris")
        XCTAssertEqual(paris.description, "capital of France")
        XCTAssertEqual(paris.popularity, 123)
        XCTAssertEqual(try store.entity(id: paris.id), paris)
        // Canonical first; the alias equal to the name is merged into the canonical row.
        XCTAssertEqual(try names(store, key: "Q90"),
                       ["en:Paris*", "de:Paris", "en:City of Light", "fr:Paris", "fr:Ville Lumière"])
        XCTAssertEqual(try names(store, key: "Q41421"), ["en:Michael Jordan*", "en:MJ"])
        XCTAssertTrue(try store.names(ofEntity: paris.id).allSatisfy { $0.tokens == nil && $0.entityID == paris.id })
        let jordan = try XCTUnwrap(store.entity(key: "Q41421"))
        XCTAssertNil(jordan.description)
        XCTAssertNil(jordan.popularity)
        XCTAssertEqual(try store.entities(ids: [jordan.id, 999, paris.id]).map(\.key), ["Q41421", "Q90"])
        XCTAssertNil(try store.entity(key: "Q1"))
        XCTAssertEqual(try store.counts().names, 7)
    }

    func testSharedWikipediaFormatReadsAsIs() throws {
        // The shape of ../shared/data/wiki_entities/entities.jsonl (fields invented here).
        let line = jsonLine([
            "title": "Japan national football team", "sources": ["aida_ppr_candidates"],
            "in_count": 4321, "freebase_popularity": 9.5, "description": "A football team.",
            "summary": "Longer text.", "vital_category": NSNull(),
        ])
        let folder = try TemporaryFolder()
        let store = try TrellisStore.inMemory()
        try store.importKnowledgeBase(from: folder.write("wiki.jsonl", lines: [line]))
        let entity = try XCTUnwrap(store.entity(key: "Japan national football team"))
        XCTAssertEqual(entity.name, "Japan national football team")
        XCTAssertEqual(entity.popularity, 4321)
        XCTAssertEqual(entity.description, "A football team.")
        XCTAssertEqual(try names(store, key: entity.key), ["en:Japan national football team*"])
    }

    func testReimportIsIdempotentAndKeepsIdsAndTokens() throws {
        let folder = try TemporaryFolder()
        let path = try folder.write("kb.jsonl", lines: [parisLine, jordanLine])
        let store = try TrellisStore.inMemory()
        try store.importKnowledgeBase(from: path)
        let before = try store.counts()
        var namesBefore: [NameRecord] = []
        try store.forEachName { namesBefore.append($0) }
        try store.setNameTokens(namesBefore.map { ($0.id, [TokenID($0.id), 7]) }, fingerprint: "tok")

        let summary = try store.importKnowledgeBase(from: path)
        XCTAssertEqual(summary.records, 2)
        XCTAssertEqual(summary.inserted, 0)
        XCTAssertEqual(try store.counts(), StoreCounts(entities: 2, names: 7, tokenizedNames: 7, mentions: 0,
                                                       passages: 0, tokenizedPassages: 0, hmmModels: 0))
        XCTAssertEqual(before.names, 7)
        var namesAfter: [NameRecord] = []
        try store.forEachName { namesAfter.append($0) }
        XCTAssertEqual(namesAfter.map(\.id), namesBefore.map(\.id))
        XCTAssertEqual(namesAfter.map(\.tokens), namesBefore.map { [TokenID($0.id), 7] })
    }

    func testChangedRecordReplacesNamesOrMerges() throws {
        let folder = try TemporaryFolder()
        let store = try TrellisStore.inMemory()
        try store.importKnowledgeBase(from: folder.write("v1.jsonl", lines: [parisLine]))
        let kept = try XCTUnwrap(store.names(ofEntity: store.entity(key: "Q90")!.id).first { $0.name == "City of Light" })
        let changed = jsonLine(["key": "Q90", "name": "Paris, France", "aliases": ["City of Light", "Paname"],
                                "popularity": 200])
        try store.importKnowledgeBase(from: folder.write("v2.jsonl", lines: [changed]))
        let paris = try XCTUnwrap(store.entity(key: "Q90"))
        XCTAssertEqual(paris.name, "Paris, France")
        XCTAssertNil(paris.description)  // replace: the record is the truth
        XCTAssertEqual(paris.popularity, 200)
        XCTAssertEqual(try names(store, key: "Q90"), ["en:Paris, France*", "en:City of Light", "en:Paname"])
        XCTAssertEqual(try store.names(ofEntity: paris.id).first { $0.name == "City of Light" }?.id, kept.id)

        let merged = jsonLine(["key": "Q90", "name": "Paris", "names": ["it": ["Parigi"]]])
        try store.importKnowledgeBase(from: folder.write("v3.jsonl", lines: [merged]),
                                      options: .init(nameUpdates: .merge))
        XCTAssertEqual(try names(store, key: "Q90"),
                       ["en:Paris*", "en:City of Light", "en:Paname", "en:Paris, France", "it:Parigi"])
        XCTAssertEqual(try store.entity(key: "Q90")?.popularity, 200)  // merge keeps what the record lacks
    }

    func testMalformedLineFailsWithLineNumberAndCommitsNothing() throws {
        let folder = try TemporaryFolder()
        let store = try TrellisStore.inMemory()
        _ = try store.addEntity(key: "Q1", name: "Existing")
        let cases: [(String, String)] = [
            ("{\"key\": \"Q7\", \"name\": ", "invalid JSON"),
            (jsonLine(["name": "No key"]), "missing or empty key"),
            (jsonLine(["key": "Q8"]), "missing or empty name"),
            (jsonLine(["key": "Q9", "name": "N", "popularity": "high"]), "popularity"),
            (jsonLine(["key": "Q9", "name": "N", "aliases": "one"]), "aliases"),
            (jsonLine(["key": "Q9", "name": "N", "aliases": ["ok", 2]]), "field \"aliases[1]\": expected a string"),
            (jsonLine(["key": "Q9", "name": "N", "names": ["fr": 3]]), "\"names.fr\": expected a string or an array"),
            ("[1, 2, 3]", "expected a JSON object per line"),
        ]
        for (bad, reason) in cases {
            let path = try folder.write("bad.jsonl", lines: [parisLine, jordanLine, bad, jsonLine(["key": "Q5", "name": "Five"])])
            XCTAssertThrowsError(try store.importKnowledgeBase(from: path), "line: \(bad)") { error in
                guard case .malformedLine(let reportedPath, let line, let message)? = error as? StoreError else {
                    return XCTFail("expected malformedLine, got \(error)")
                }
                XCTAssertEqual(reportedPath, path)
                XCTAssertEqual(line, 3)
                XCTAssertTrue(message.contains(reason), "\(message) should mention \(reason)")
            }
            XCTAssertEqual(try store.counts().entities, 1, "nothing of a failed import may remain")
            XCTAssertNil(try store.entity(key: "Q90"))
        }
    }

    func testSkipPolicyCountsMalformedLines() throws {
        let folder = try TemporaryFolder()
        let path = try folder.write("kb.jsonl", lines: [parisLine, "not json", jordanLine, jsonLine(["key": ""])])
        let store = try TrellisStore.inMemory()
        let summary = try store.importKnowledgeBase(from: path, options: .init(malformedLines: .skip))
        XCTAssertEqual(summary.records, 2)
        XCTAssertEqual(summary.skippedLines, [2, 4])
        XCTAssertEqual(summary.firstSkipReason?.hasPrefix("line 2: invalid JSON"), true)
        XCTAssertEqual(try store.counts().entities, 2)
    }

    func testInterruptedImportLeavesStoreUnchangedAndRerunCompletes() throws {
        struct Interrupted: Error {}
        let folder = try TemporaryFolder()
        let lines = (0..<500).map { jsonLine(["key": "E\($0)", "name": "Entity \($0)", "aliases": ["e\($0)"]]) }
        let path = try folder.write("kb.jsonl", lines: lines)
        let store = try TrellisStore(path: folder.path("kb.sqlite"))
        _ = try store.addEntity(key: "E0", name: "Entity zero, before the import")
        XCTAssertThrowsError(try store.importKnowledgeBase(from: path, options: .init(progressInterval: 100)) { done, _ in
            if done == 300 { throw Interrupted() }
        }) { XCTAssertTrue($0 is Interrupted) }
        XCTAssertEqual(try store.counts().entities, 1)
        XCTAssertEqual(try store.entity(key: "E0")?.name, "Entity zero, before the import")

        let summary = try store.importKnowledgeBase(from: path)
        XCTAssertEqual(summary.records, 500)
        XCTAssertEqual(summary.inserted, 499)
        XCTAssertEqual(try store.counts().entities, 500)
        XCTAssertEqual(try store.counts().names, 1000)
        XCTAssertEqual(try names(store, key: "E0"), ["en:Entity 0*", "en:e0"])
    }

    func testEmptyAndMissingFiles() throws {
        let folder = try TemporaryFolder()
        let store = try TrellisStore.inMemory()
        let summary = try store.importKnowledgeBase(from: folder.write("empty.jsonl", text: ""))
        XCTAssertEqual(summary, ImportSummary())
        let noNewline = try folder.write("one.jsonl", text: "\u{FEFF}" + jordanLine + "\r")
        XCTAssertEqual(try store.importKnowledgeBase(from: noNewline).records, 1)
        let missing = folder.path("missing.jsonl")
        XCTAssertThrowsError(try store.importKnowledgeBase(from: missing)) { error in
            XCTAssertEqual(error as? StoreError, .cannotReadFile(path: missing, message: "no such file"))
        }
        XCTAssertThrowsError(try store.importKnowledgeBase(from: folder.url.path))
    }

    func testAddEntityIsLinkableAtOnce() throws {
        let store = try TrellisStore.inMemory()
        let added = try store.addEntity(key: "Q3", name: " Trellis ", description: "a lattice",
                                        popularity: 1, otherNames: [EntityName(language: "fr", name: "Treillis"),
                                                                    EntityName(language: "en", name: "")])
        XCTAssertEqual(added.entity.name, "Trellis")
        XCTAssertEqual(added.names.map(\.name), ["Trellis", "Treillis"])
        XCTAssertEqual(added.names.map(\.isCanonical), [true, false])
        XCTAssertEqual(try store.entity(key: "Q3"), added.entity)
        XCTAssertThrowsError(try store.addEntity(key: "Q3", name: "Again")) { error in
            XCTAssertEqual(error as? StoreError, .duplicateKey(kind: "entity", key: "Q3"))
        }
        XCTAssertThrowsError(try store.addEntity(key: "  ", name: "Blank"))
        let more = try store.addNames([EntityName(language: "de", name: "Spalier"),
                                       EntityName(language: "fr", name: "Treillis")], toEntity: added.entity.id)
        XCTAssertEqual(more.map(\.name).sorted(), ["Spalier", "Treillis"])
        XCTAssertEqual(more.first { $0.name == "Treillis" }?.id, added.names[1].id)
        XCTAssertThrowsError(try store.addNames([EntityName(language: "en", name: "x")], toEntity: 12345)) { error in
            XCTAssertEqual(error as? StoreError, .notFound(kind: "entity", key: "12345"))
        }
    }
}

final class ConcurrentReaderTests: XCTestCase {
    /// WAL: another connection reads the last committed state while an import is running,
    /// and sees the whole import only after it commits.
    func testReadersSeeCommittedStateDuringAnImport() throws {
        let folder = try TemporaryFolder()
        let dbPath = folder.path("kb.sqlite")
        let writer = try TrellisStore(path: dbPath)
        _ = try writer.addEntity(key: "E-before", name: "Before")
        let reader = try TrellisStore(path: dbPath)
        let lines = (0..<300).map { jsonLine(["key": "E\($0)", "name": "Entity \($0)"]) }
        let path = try folder.write("kb.jsonl", lines: lines)
        var seenDuring: [Int] = []
        try writer.importKnowledgeBase(from: path, options: .init(progressInterval: 100)) { done, _ in
            if done == 200 { seenDuring.append(try reader.counts().entities) }
        }
        XCTAssertEqual(seenDuring, [1])
        XCTAssertEqual(try reader.counts().entities, 301)
    }
}
