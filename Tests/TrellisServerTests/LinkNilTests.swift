import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
@testable import TrellisServer
import XCTest

/// The JSON shape of linking answers: `entity` is always present, null for NIL; `allow_nil`
/// reaches the backend; the OpenAPI document lists the new fields.
final class LinkNilTests: XCTestCase {
    var fixture: ServerFixture!

    override func setUpWithError() throws { fixture = try ServerFixture() }
    override func tearDown() { fixture.shutdown() }

    func testNilMentionHasNullEntity() throws {
        let response = try fixture.post("/v1/link", #"{"text": "[Paris] met [Zzyzx].", "allow_nil": true, "top_k": 2}"#)
        XCTAssertEqual(response.status, 200, response.bodyText)
        let body = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any])
        let mentions = try XCTUnwrap(body["mentions"] as? [[String: Any]])
        XCTAssertEqual(mentions.count, 2)
        let paris = try XCTUnwrap(mentions[0]["entity"] as? [String: Any])
        XCTAssertEqual(paris["name"] as? String, "Paris")
        XCTAssertTrue(mentions[1].keys.contains("entity"))
        XCTAssertTrue(mentions[1]["entity"] is NSNull, "NIL is reported as entity null")
        XCTAssertEqual((mentions[1]["entities"] as? [Any])?.count, 0)
        XCTAssertNil(mentions[0]["confidence"], "confidence only comes with end_to_end")

        let without = try fixture.post("/v1/link", #"{"text": "[Zzyzx]."}"#)
        let decoded = try JSONDecoder().decode(LinkResponse.self, from: Data(without.body))
        XCTAssertNotNil(decoded.mentions[0].entity, "without allow_nil the fake links everything")

        let bad = try fixture.post("/v1/link", #"{"text": "[Zzyzx].", "allow_nil": "yes"}"#)
        XCTAssertEqual(bad.status, 400)
    }

    func testOpenAPIDocumentsNilAndEndToEnd() throws {
        let text = try fixture.get("/openapi.json").bodyText
        for expected in ["\"allow_nil\"", "\"confidence\"", "\"entity\""] {
            XCTAssertTrue(text.contains(expected), "missing \(expected)")
        }
    }
}
