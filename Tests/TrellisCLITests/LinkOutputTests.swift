import Foundation
import XCTest
@testable import TrellisLinking
import TrellisServer
@testable import TrellisCLI

/// `trellis link --json` and `POST /v1/link` share one JSON shape (`LinkResponse`): each mention has
/// start, end (code points), surface, entities and an `entity` that is an object, or null for NIL.
final class LinkOutputTests: XCTestCase {
    private func entity(_ key: String, score: Float = 0) throws -> TrellisLinking.LinkedEntity {
        try JSONDecoder().decode(TrellisLinking.LinkedEntity.self, from: Data(
            #"{"entityID": 7, "key": "\#(key)", "name": "\#(key)", "score": \#(score), "modelScore": 0}"#.utf8))
    }

    func testEndToEndJSONShape() throws {
        let text = "Jordan met Zzyzx."
        let offsets = TextOffsets(text)
        let response = LinkResponse(text: text, mentions: [
            LinkedMention(endToEnd: EndToEndMention(start: 0, end: 6, surface: "Jordan", entity: try entity("Michael Jordan"), confidence: 0.75), offsets: offsets),
            LinkedMention(endToEnd: EndToEndMention(start: 11, end: 16, surface: "Zzyzx", entity: nil, confidence: 0.5), offsets: offsets),
        ])
        let body = try XCTUnwrap(JSONSerialization.jsonObject(with: try JSONEncoder().encode(response)) as? [String: Any])
        XCTAssertEqual(body["text"] as? String, text)
        let mentions = try XCTUnwrap(body["mentions"] as? [[String: Any]])
        XCTAssertEqual(Set(mentions[0].keys), ["start", "end", "surface", "entity", "entities", "confidence"])
        XCTAssertEqual((mentions[0]["entity"] as? [String: Any])?["key"] as? String, "Michael Jordan")
        XCTAssertEqual(((mentions[0]["entity"] as? [String: Any])?["score"] as? Double) ?? 0, log(0.75), accuracy: 1e-6)
        XCTAssertEqual(mentions[0]["confidence"] as? Double, 0.75)
        XCTAssertTrue(mentions[1]["entity"] is NSNull)
        XCTAssertEqual((mentions[1]["entities"] as? [Any])?.count, 0)
        XCTAssertEqual(mentions[1]["start"] as? Int, 11)
    }

    func testNilRankedFirstGivesNullEntityAndIsNotListed() throws {
        let text = "Zzyzx"
        let ranked = [TrellisLinking.LinkedEntity.nilAnswer(score: -0.1, modelScore: -0.1), try entity("Zzyzx Road", score: -2)]
        let mention = LinkedMention(span: TrellisLinking.MentionSpan(start: 0, end: 5), in: Array(text), offsets: TextOffsets(text), ranked: ranked)
        XCTAssertNil(mention.entity)
        XCTAssertEqual(mention.entities.map(\.key), ["Zzyzx Road"])
        let body = try XCTUnwrap(JSONSerialization.jsonObject(with: try JSONEncoder().encode(mention)) as? [String: Any])
        XCTAssertTrue(body["entity"] is NSNull)
    }

    /// "Cafe\u{301}" is four characters but five code points: offsets after it differ by one.
    func testOffsetsCountCodePoints() throws {
        let text = "Cafe\u{301} de Flore"
        let offsets = TextOffsets(text)
        XCTAssertEqual(text.count, 13)
        XCTAssertEqual(offsets.characterToScalar.last, 14)
        // "Flore" is characters 8..<13 = code points 9..<14.
        let span = try XCTUnwrap(offsets.characterSpan(start: 9, end: 14))
        XCTAssertEqual(span, TrellisLinking.MentionSpan(start: 8, end: 13))
        XCTAssertEqual(String(Array(text)[span.start..<span.end]), "Flore")
        let mention = LinkedMention(span: span, in: Array(text), offsets: offsets, ranked: [try entity("Café de Flore")])
        XCTAssertEqual(mention.start, 9)
        XCTAssertEqual(mention.end, 14)
        XCTAssertEqual(mention.entity?.key, "Café de Flore")
        XCTAssertNil(offsets.characterSpan(start: 3, end: 3), "an empty span is refused")
        XCTAssertNil(offsets.characterSpan(start: 10, end: 15), "a span past the end is refused")
    }
}
