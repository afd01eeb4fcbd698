import Foundation
import XCTest
import TrellisEval

final class DatasetsTests: XCTestCase {
    func testReadsTheDocumentedFormatsAndNamesBadLines() throws {
        let path = NSTemporaryDirectory() + "trellis-aida-\(UUID().uuidString).jsonl"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let good = #"{"doc_num": 1, "text": "Jordan won .", "mentions": [{"start": 0, "end": 6, "surface": "Jordan", "gold_title": "Michael Jordan", "candidates": [{"title": "Jordan", "in_count": 10}, {"title": "Michael Jordan", "in_count": 5}]}]}"#
        try (good + "\n\n" + good + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        let docs = try JSONLines.read(AIDADocument.self, from: path)
        XCTAssertEqual(docs.count, 2)
        XCTAssertEqual(docs[0].mentions[0].candidates.map(\.title), ["Jordan", "Michael Jordan"])
        XCTAssertEqual(docs[0].mentions[0].goldTitle, "Michael Jordan")

        try (good + "\n{\"doc_num\": 2}\n").write(toFile: path, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try JSONLines.read(AIDADocument.self, from: path)) { error in
            XCTAssertTrue("\(error)".contains(":2:"), "\(error)")
        }
    }

    func testQrels() throws {
        let path = NSTemporaryDirectory() + "trellis-qrels-\(UUID().uuidString).tsv"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try "query-id\tcorpus-id\tscore\n1\td1\t1\n1\td2\t2\n3\td9\t1\n".write(toFile: path, atomically: true, encoding: .utf8)
        let q = try BEIRQrels.read(path)
        XCTAssertEqual(q["1"], ["d1": 1, "d2": 2])
        XCTAssertEqual(q["3"], ["d9": 1])
    }
}
