import Foundation
import XCTest
import TrellisLinking
@testable import TrellisCLI

/// `trellis link --end-to-end --json`: each mention has start, end, surface, confidence and an
/// `entity` that is an object, or null for NIL.
final class LinkOutputTests: XCTestCase {
    func testEndToEndJSONShape() throws {
        let linked = try JSONDecoder().decode(TrellisLinking.LinkedEntity.self, from: Data(
            #"{"entityID": 7, "key": "Michael Jordan", "name": "Michael Jordan", "score": 0, "modelScore": 0}"#.utf8))
        let output = EndToEndOutput(text: "Jordan met Zzyzx.", mentions: [
            .init(EndToEndMention(start: 0, end: 6, surface: "Jordan", entity: linked, confidence: 0.75)),
            .init(EndToEndMention(start: 11, end: 16, surface: "Zzyzx", entity: nil, confidence: 0.5)),
        ])
        let data = try JSONEncoder().encode(output)
        let body = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
        XCTAssertEqual(body["text"] as? String, "Jordan met Zzyzx.")
        let mentions = try XCTUnwrap(body["mentions"] as? [[String: Any]])
        XCTAssertEqual(Set(mentions[0].keys), ["start", "end", "surface", "entity", "confidence"])
        XCTAssertEqual((mentions[0]["entity"] as? [String: Any])?["key"] as? String, "Michael Jordan")
        XCTAssertEqual(mentions[0]["confidence"] as? Double, 0.75)
        XCTAssertTrue(mentions[1]["entity"] is NSNull)
        XCTAssertEqual(mentions[1]["start"] as? Int, 11)
    }
}
