import TrellisCore
import Foundation
@testable import TrellisServer
import XCTest

/// The server's pure helpers, without a socket: UTF-8 check, nesting guard, marker parsing,
/// limit settings, strict decoding paths.
final class ServerUnitTests: XCTestCase {
    func testUTF8CheckAgreesWithTheStandardLibraryOnRandomBytes() {
        let seed = UInt64.random(in: 0...UInt64.max)
        var rng = SplitMix64(seed: seed)
        // Bias towards bytes that make multi-byte sequences, so edge cases come up often.
        let interesting: [UInt8] = [0x00, 0x41, 0x7F, 0x80, 0xBF, 0xC0, 0xC1, 0xC2, 0xDF, 0xE0, 0xED, 0xEF, 0xF0, 0xF4, 0xF5, 0xFF, 0x9F, 0xA0, 0x8F, 0x90]
        for _ in 0..<20_000 {
            let count = Int.random(in: 0...8, using: &rng)
            let bytes = (0..<count).map { _ in
                Bool.random(using: &rng) ? interesting.randomElement(using: &rng)! : UInt8.random(in: 0...255, using: &rng)
            }
            let valid = String(validating: bytes, as: UTF8.self) != nil
            let offset = bytes.withUnsafeBytes { firstInvalidUTF8Offset($0) }
            XCTAssertEqual(offset == nil, valid, "seed \(seed): \(bytes)")
            if let offset {
                // Everything before the reported offset is valid on its own.
                XCTAssertNotNil(String(validating: bytes[..<offset], as: UTF8.self), "seed \(seed): \(bytes) at \(offset)")
            }
        }
        XCTAssertNil([UInt8]().withUnsafeBytes { firstInvalidUTF8Offset($0) })
        XCTAssertNil(Array("héllo ✓ 😀".utf8).withUnsafeBytes { firstInvalidUTF8Offset($0) })
    }

    func testNestingGuardSkipsStrings() {
        func depth(_ s: String) -> Int? { Array(s.utf8).withUnsafeBytes { jsonNestingBeyond(2, $0) } }
        XCTAssertNil(depth(#"{"a": [1, 2]}"#))
        XCTAssertEqual(depth(#"{"a": [[1]]}"#), 3)
        XCTAssertNil(depth(#"{"a": "[[[[\"[[[["}"#))
        XCTAssertNil(depth(""))
    }

    func testMarkerParsing() throws {
        var parsed = try LinkQuery.parseMarkers("[Paris] and [Zürich 😀]!")
        XCTAssertEqual(parsed.text, "Paris and Zürich 😀!")
        XCTAssertEqual(parsed.spans, [MentionSpan(start: 0, end: 5), MentionSpan(start: 10, end: 18)])
        parsed = try LinkQuery.parseMarkers("")
        XCTAssertEqual(parsed.text, "")
        XCTAssertEqual(parsed.spans, [])
        parsed = try LinkQuery.parseMarkers("[a]")
        XCTAssertEqual(parsed.spans, [MentionSpan(start: 0, end: 1)])
        for bad in ["[", "]", "[[a]]", "[]", "a [b", "a] [b"] {
            XCTAssertThrowsError(try LinkQuery.parseMarkers(bad), bad)
        }
    }

    func testLimitSettingsByName() throws {
        let limits = try ServerLimits().applying(["max_beam=8", "request_timeout_ms=500", "max_queued_requests=0"])
        XCTAssertEqual(limits.maxBeam, 8)
        XCTAssertEqual(limits.requestTimeoutMilliseconds, 500)
        XCTAssertEqual(limits.maxQueuedRequests, 0)
        for name in ServerLimits.names { XCTAssertNotNil(limits.value(named: name), name) }
        XCTAssertThrowsError(try ServerLimits().applying(["max_bean=8"])) { XCTAssertTrue("\($0)".contains("max_beam")) }
        XCTAssertThrowsError(try ServerLimits().applying(["max_beam=eight"]))
        XCTAssertThrowsError(try ServerLimits().applying(["max_beam=0"])) { XCTAssertTrue("\($0)".contains("max_beam")) }
    }

    func testStrictDecodingNamesNestedPaths() {
        let body = #"{"messages": [{"role": "user", "content": "x"}], "trellis": {"constraint": {"keywords": ["a"], "typo": 1}}}"#
        XCTAssertThrowsError(try JSONDecoder().decode(ChatCompletionRequest.self, from: Data(body.utf8))) { error in
            XCTAssertEqual((error as? RequestDecodingError)?.path, "trellis.constraint.typo")
            XCTAssertEqual((error as? RequestDecodingError)?.kind, .unknownField)
        }
        // Requests round-trip through their own encoding.
        let request = ChatCompletionRequest(messages: [ChatMessage(role: "user", content: "hi")], maxCompletionTokens: 5,
                                            fields: OpenAISamplingFields(stream: true, stop: StopSequences(["."]),
                                                                         trellis: TrellisExtension(constraint: ConstraintSpec(keywords: [KeywordSpec(["a", "b"])]))))
        let data = try! JSONEncoder().encode(request)
        XCTAssertEqual(try JSONDecoder().decode(ChatCompletionRequest.self, from: data), request)
    }
}
