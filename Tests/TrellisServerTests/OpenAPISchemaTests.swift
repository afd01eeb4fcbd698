import Foundation
@testable import TrellisServer
import XCTest

/// The OpenAPI document against the strict decoders: each request schema documents exactly the
/// fields its Swift type accepts (properties gathered through `allOf` references), so the
/// contract and the code cannot drift apart unnoticed.
final class OpenAPISchemaTests: XCTestCase {
    private func schemas() throws -> [String: [String: Any]] {
        let document = try JSONSerialization.jsonObject(with: Data(OpenAPIDocument.json.utf8)) as? [String: Any]
        let components = document?["components"] as? [String: Any]
        return try XCTUnwrap(components?["schemas"] as? [String: [String: Any]])
    }

    /// Property names of `name`, including those of schemas it composes with `allOf`.
    private func documentedFields(_ name: String, in schemas: [String: [String: Any]]) throws -> Set<String> {
        let schema = try XCTUnwrap(schemas[name], "no schema \(name)")
        var fields = Set((schema["properties"] as? [String: Any] ?? [:]).keys)
        for part in schema["allOf"] as? [[String: Any]] ?? [] {
            let reference = try XCTUnwrap(part["$ref"] as? String)
            fields.formUnion(try documentedFields(String(reference.split(separator: "/").last!), in: schemas))
        }
        return fields
    }

    private func fields<K: CodingKey & CaseIterable>(_ keys: K.Type) -> Set<String> {
        Set(K.allCases.map(\.stringValue))
    }

    /// docs/openapi.json, the copy kept in the repository, is the served document
    /// (regenerate with `trellis serve --print-openapi > docs/openapi.json`).
    func testCommittedCopyMatchesServedDocument() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let committed = try Data(contentsOf: root.appendingPathComponent("docs/openapi.json"))
        let served = try JSONSerialization.jsonObject(with: Data(OpenAPIDocument.json.utf8)) as? NSDictionary
        let copy = try JSONSerialization.jsonObject(with: committed) as? NSDictionary
        XCTAssertNotNil(served)
        XCTAssertEqual(copy, served, "docs/openapi.json is stale: run `trellis serve --print-openapi > docs/openapi.json`")
    }

    func testRequestSchemasListExactlyTheDecodedFields() throws {
        let schemas = try schemas()
        let expected: [(String, Set<String>)] = [
            ("MentionSpan", fields(MentionSpan.CodingKeys.self)),
            ("LinkRequest", fields(LinkRequest.CodingKeys.self)),
            ("SearchRequest", fields(SearchRequest.CodingKeys.self)),
            ("Constraint", fields(ConstraintSpec.CodingKeys.self)),
            ("GenerateRequest", fields(GenerateRequest.CodingKeys.self)),
            ("ChatMessage", fields(ChatMessage.CodingKeys.self)),
            ("TrellisExtension", fields(TrellisExtension.CodingKeys.self)),
            ("StreamOptions", fields(StreamOptions.CodingKeys.self)),
            ("ResponseFormat", fields(ResponseFormat.CodingKeys.self)),
            ("CompletionRequest", fields(CompletionRequest.CodingKeys.self)),
            ("ChatCompletionRequest", fields(ChatCompletionRequest.CodingKeys.self)),
        ]
        for (name, decoded) in expected {
            XCTAssertEqual(try documentedFields(name, in: schemas), decoded, "schema \(name) and its decoder differ")
        }
    }

    /// Composed request schemas must still reject unknown fields, as the server does.
    func testComposedRequestSchemasRejectOtherFields() throws {
        let schemas = try schemas()
        for name in ["CompletionRequest", "ChatCompletionRequest"] {
            let schema = try XCTUnwrap(schemas[name])
            XCTAssertNotNil(schema["allOf"], "\(name) no longer composes the shared fields")
            XCTAssertEqual(schema["unevaluatedProperties"] as? Bool, false, "\(name) must reject unknown fields")
        }
    }
}
