import TrellisTestSupport
import XCTest
@testable import TrellisStore

final class MentionImportTests: XCTestCase {
    private func storeWithJordans() throws -> TrellisStore {
        let store = try TrellisStore.inMemory()
        _ = try store.addEntity(key: "Q41421", name: "Michael Jordan")
        _ = try store.addEntity(key: "Q810", name: "Jordan")
        _ = try store.addEntity(key: "Q3510", name: "Jordan River")
        return store
    }

    func testJSONLinesCandidatesRoundTrip() throws {
        let folder = try TemporaryFolder()
        let path = try folder.write("mentions.jsonl", lines: [
            jsonLine(["mention": "Jordan", "candidates": [["key": "Q810", "prior": 0.5],
                                                          ["key": "Q41421", "prior": 0.4],
                                                          ["key": "Q-unknown", "prior": 0.1]]]),
            jsonLine(["surface": "MJ", "candidates": [["title": "Q41421", "count": 12]]]),
        ])
        let store = try storeWithJordans()
        let summary = try store.importMentions(from: path)
        XCTAssertEqual(summary.records, 3)
        XCTAssertEqual(summary.inserted, 3)
        XCTAssertEqual(summary.unknownEntityKeys, 1)
        XCTAssertEqual(summary.unknownEntityKeyExamples, ["Q-unknown"])
        let jordan = try store.candidates(forSurface: "Jordan")
        XCTAssertEqual(jordan.map(\.key), ["Q810", "Q41421"])
        XCTAssertEqual(jordan.map(\.prior), [0.5, 0.4])
        XCTAssertEqual(jordan.map(\.name), ["Jordan", "Michael Jordan"])
        XCTAssertFalse(jordan[0].matchedCaseInsensitively)
        XCTAssertEqual(try store.candidates(forSurface: "Jordan", limit: 1).map(\.key), ["Q810"])
        XCTAssertEqual(try store.candidates(forSurface: "MJ").map(\.prior), [12])
        XCTAssertEqual(try store.candidates(forSurface: "nobody"), [])

        // Re-import: same state.
        let again = try store.importMentions(from: path)
        XCTAssertEqual(again.inserted, 0)
        XCTAssertEqual(try store.counts().mentions, 3)
    }

    func testExactMatchFirstThenCaseInsensitive() throws {
        let folder = try TemporaryFolder()
        let path = try folder.write("mentions.tsv", lines: [
            "mention\tkey\tprior",
            "JORDAN\tQ810\t0.9",
            "jordan\tQ3510\t0.3",
            "jordan\tQ810\t0.2",
            "Jordan\tQ41421\t0.6",
        ])
        let store = try storeWithJordans()
        let summary = try store.importMentions(from: path)
        XCTAssertEqual(summary.records, 4)
        XCTAssertEqual(try store.candidates(forSurface: "Jordan").map(\.key), ["Q41421"])
        let folded = try store.candidates(forSurface: "JoRdAn")
        XCTAssertEqual(folded.map(\.key), ["Q810", "Q41421", "Q3510"])
        XCTAssertEqual(folded.map(\.prior), [0.9, 0.6, 0.3])  // best prior over spellings
        XCTAssertTrue(folded.allSatisfy(\.matchedCaseInsensitively))
        // Unicode case folding, not just ASCII.
        _ = try store.addEntity(key: "Q1", name: "Österreich")
        try store.setMentionPrior(surface: "ÖSTERREICH", entityID: try store.entity(key: "Q1")!.id, prior: 1)
        XCTAssertEqual(try store.candidates(forSurface: "österreich").map(\.key), ["Q1"])
    }

    func testMalformedTSVLines() throws {
        let folder = try TemporaryFolder()
        let store = try storeWithJordans()
        for (bad, reason) in [("Jordan\tQ810", "3 tab-separated"), ("Jordan\tQ810\tlots", "not a finite number"),
                              ("\tQ810\t1", "empty surface"), ("Jordan\t\t1", "key")] {
            let path = try folder.write("m.tsv", lines: ["Jordan\tQ810\t0.5", bad])
            XCTAssertThrowsError(try store.importMentions(from: path)) { error in
                guard case .malformedLine(_, 2, let message)? = error as? StoreError else { return XCTFail("\(error)") }
                XCTAssertTrue(message.contains(reason), message)
            }
            XCTAssertEqual(try store.counts().mentions, 0)
        }
        let json = try folder.write("m.jsonl", lines: [jsonLine(["mention": "Jordan", "candidates": [["key": "Q810"]]])])
        XCTAssertThrowsError(try store.importMentions(from: json)) { error in
            guard case .malformedLine(_, 1, let message)? = error as? StoreError else { return XCTFail("\(error)") }
            XCTAssertTrue(message.contains("missing prior"), message)
        }
    }

    func testDeletingAnEntityDropsItsNamesAndMentions() throws {
        let store = try storeWithJordans()
        let id = try store.entity(key: "Q810")!.id
        try store.setMentionPrior(surface: "Jordan", entityID: id, prior: 1)
        try store.executeSQL("DELETE FROM entities WHERE key = 'Q810'")
        XCTAssertEqual(try store.candidates(forSurface: "Jordan"), [])
        XCTAssertEqual(try store.names(ofEntity: id), [])
        XCTAssertThrowsError(try store.setMentionPrior(surface: "Jordan", entityID: id, prior: 1))
        XCTAssertThrowsError(try store.setMentionPrior(surface: "Jordan", entityID: 1, prior: .nan))
    }
}
