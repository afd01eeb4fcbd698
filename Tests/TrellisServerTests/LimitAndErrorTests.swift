import Foundation
@testable import TrellisServer
import XCTest

/// Every bound answers 4xx JSON naming the bound and the value; malformed, unknown-field,
/// wrong-type and invalid-UTF-8 bodies and impossible constraints answer 4xx JSON.
final class LimitAndErrorTests: XCTestCase {
    static let smallLimits = ServerLimits(
        maxBodyBytes: 4000, maxPromptCharacters: 100, maxPromptTokens: 12, maxBeam: 4, maxNewTokens: 50,
        maxTopK: 8, maxMentions: 2, maxConstraintItems: 3, requestTimeoutMilliseconds: 300,
        maxConcurrentRequests: 1, maxQueuedRequests: 0)

    var fixture: ServerFixture!

    override func setUpWithError() throws { fixture = try ServerFixture(limits: Self.smallLimits) }
    override func tearDown() { fixture.shutdown() }

    /// Asserts `status`, the error type, and that the message contains every one of `words`.
    private func assertError(_ response: HTTPResponseMessage, _ status: Int, _ type: String, _ words: [String],
                             file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(response.status, status, response.bodyText, file: file, line: line)
        XCTAssertEqual(response.header("content-type"), "application/json", file: file, line: line)
        let parts = response.errorParts(file: file, line: line)
        XCTAssertEqual(parts.type, type, parts.message, file: file, line: line)
        for word in words {
            XCTAssertTrue(parts.message.contains(word), "`\(parts.message)` does not mention `\(word)`", file: file, line: line)
        }
    }

    func testEveryRequestBoundIsNamed() throws {
        let big = String(repeating: "a", count: 5000)
        assertError(try fixture.post("/v1/generate", #"{"prompt": "\#(big)"}"#), 413, "limit_exceeded", ["max_body_bytes", "5014", "4000"])
        let long = String(repeating: "é", count: 101)
        assertError(try fixture.post("/v1/generate", #"{"prompt": "\#(long)"}"#), 400, "limit_exceeded", ["max_prompt_chars", "101", "100"])
        assertError(try fixture.post("/v1/search", #"{"query": "\#(long)"}"#), 400, "limit_exceeded", ["max_prompt_chars", "`query`"])
        let manyWords = Array(repeating: "w", count: 13).joined(separator: " ")
        assertError(try fixture.post("/v1/generate", #"{"prompt": "\#(manyWords)"}"#), 400, "limit_exceeded", ["max_prompt_tokens", "13 tokens", "12"])
        assertError(try fixture.post("/v1/link", #"{"text": "[\#(manyWords)]"}"#), 400, "limit_exceeded", ["max_prompt_tokens"])
        assertError(try fixture.post("/v1/generate", #"{"prompt": "x", "beam": 5}"#), 400, "limit_exceeded", ["max_beam = 4", "is 5"])
        assertError(try fixture.post("/v1/link", #"{"text": "[x]", "beam": 9}"#), 400, "limit_exceeded", ["max_beam = 4", "is 9"])
        assertError(try fixture.post("/v1/generate", #"{"prompt": "x", "max_tokens": 51}"#), 400, "limit_exceeded", ["max_new_tokens = 50", "51"])
        assertError(try fixture.post("/v1/chat/completions", #"{"messages": [{"role": "user", "content": "x"}], "max_completion_tokens": 51}"#),
                    400, "limit_exceeded", ["max_new_tokens = 50", "`max_completion_tokens`"])
        assertError(try fixture.post("/v1/search", #"{"query": "x", "top_k": 9}"#), 400, "limit_exceeded", ["max_top_k = 8", "is 9"])
        assertError(try fixture.post("/v1/link", #"{"text": "[a] [b] [c]"}"#), 400, "limit_exceeded", ["max_mentions = 2", "is 3"])
        assertError(try fixture.post("/v1/generate", #"{"prompt": "x", "constraint": {"banned_words": ["a", "b", "c", "d"]}}"#),
                    400, "limit_exceeded", ["max_constraint_items = 3", "constraint.banned_words", "is 4"])
        assertError(try fixture.post("/v1/completions", #"{"prompt": "x", "stop": ["a", "b", "c", "d"]}"#),
                    400, "limit_exceeded", ["max_constraint_items", "`stop`"])
        // The model's context (256 in the fake): prompt plus max_tokens.
        let wide = try ServerFixture(limits: ServerLimits(maxNewTokens: 1000))
        defer { wide.shutdown() }
        assertError(try wide.post("/v1/generate", #"{"prompt": "a b", "max_tokens": 255}"#), 400, "limit_exceeded", ["context_length = 256", "257"])
    }

    func testBodyOverTheLimitWithoutContentLengthIsRejectedToo() throws {
        let body = Array(#"{"prompt": ""#.utf8) + Array(repeating: UInt8(ascii: "a"), count: 6000) + Array(#""}"#.utf8)
        var raw = Array("POST /v1/generate HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n".utf8)
        for start in stride(from: 0, to: body.count, by: 1000) {
            let piece = body[start..<min(body.count, start + 1000)]
            raw += Array(String(piece.count, radix: 16).utf8) + [13, 10] + piece + [13, 10]
        }
        raw += Array("0\r\n\r\n".utf8)
        assertError(try fixture.connection.sendRaw(raw), 413, "limit_exceeded", ["max_body_bytes = 4000"])
        XCTAssertEqual(try fixture.get("/health").status, 200)
    }

    func testTimeoutIs408AndCancelsTheBackendWork() throws {
        let before = fixture.backend.cancelled
        assertError(try fixture.post("/v1/generate", #"{"prompt": "__slow__"}"#), 408, "timeout", ["request_timeout_ms = 300"])
        XCTAssertTrue(fixture.waitUntil { self.fixture.backend.cancelled == before + 1 }, "backend work was not cancelled")
        assertError(try fixture.post("/v1/completions", #"{"prompt": "__slow__", "stream": true}"#), 408, "timeout", ["request_timeout_ms"])
        assertError(try fixture.post("/v1/search", #"{"query": "__slow__"}"#), 408, "timeout", ["request_timeout_ms"])
        XCTAssertTrue(fixture.waitUntil { self.fixture.backend.active == 0 })
        XCTAssertTrue(try fixture.get("/metrics").bodyText.contains("trellis_requests_cancelled_total 3"))
    }

    func testConcurrencyAndQueueBoundsAnswer429AndADisconnectCancelsWork() throws {
        // Timeout long enough that only the disconnect can end the slow request.
        let slow = try ServerFixture(backend: FakeBackend(slowSeconds: 60),
                                     limits: ServerLimits(requestTimeoutMilliseconds: 60_000, maxConcurrentRequests: 1, maxQueuedRequests: 1))
        defer { slow.shutdown() }
        let first = try LoopbackHTTPConnection(port: slow.port)
        try first.sendOnly(Array("POST /v1/link HTTP/1.1\r\nHost: x\r\nContent-Length: 22\r\n\r\n{\"text\": \"[__slow__]\"}".utf8))
        XCTAssertTrue(slow.waitUntil { slow.backend.started == 1 }, "slow request did not start")
        first.close()
        XCTAssertTrue(slow.waitUntil { slow.backend.cancelled == 1 }, "client disconnect did not cancel the work")
        XCTAssertTrue(slow.waitUntil { slow.backend.active == 0 })

        // Now hold the slot with a slow request on one thread, queue one more, and overflow.
        let holder = Thread {
            let connection = try? LoopbackHTTPConnection(port: slow.port, timeout: 5)
            _ = try? connection?.send(method: "POST", path: "/v1/search", body: Array(#"{"query": "__slow__"}"#.utf8))
            connection?.close()  // the read times out after 5 s; closing cancels the slow work
        }
        holder.start()
        XCTAssertTrue(slow.waitUntil { slow.backend.started == 2 && slow.backend.active == 1 })
        let queued = Thread {
            let connection = try? LoopbackHTTPConnection(port: slow.port, timeout: 5)
            _ = try? connection?.send(method: "POST", path: "/v1/search", body: Array(#"{"query": "later"}"#.utf8))
            connection?.close()
        }
        queued.start()
        XCTAssertTrue(slow.waitUntil { slow.server.admission.queued == 1 })
        assertError(try slow.post("/v1/search", #"{"query": "x"}"#), 429, "overloaded", ["max_concurrent_requests = 1", "max_queued_requests = 1"])
        // Health and metrics never wait for a slot.
        XCTAssertEqual(try slow.get("/health").json()["queued"] as? Int, 1)
        XCTAssertTrue(try slow.get("/metrics").bodyText.contains("trellis_queue_depth 1"))
        XCTAssertTrue(slow.waitUntil(timeout: 20) { slow.backend.active == 0 && slow.server.admission.queued == 0 })
    }

    func testMalformedBodiesAre400NamingTheProblem() throws {
        assertError(try fixture.post("/v1/generate", #"{"prompt": "#), 400, "invalid_request", ["not valid JSON"])
        assertError(try fixture.post("/v1/generate", ""), 400, "invalid_request", ["empty"])
        assertError(try fixture.post("/v1/generate", "[1, 2]"), 400, "invalid_request", ["wrong type"])
        assertError(try fixture.post("/v1/generate", #"{"promt": "x"}"#), 400, "unknown_field", ["`promt`"])
        let unknownNested = try fixture.post("/v1/generate", #"{"prompt": "x", "constraint": {"keywords": ["a"], "must": 1}}"#)
        assertError(unknownNested, 400, "unknown_field", ["`constraint.must`", "allowed here"])
        XCTAssertEqual(unknownNested.errorParts().param, "constraint.must")
        assertError(try fixture.post("/v1/chat/completions", #"{"messages": [{"role": "user", "content": "x", "extra": true}]}"#),
                    400, "unknown_field", ["`messages[0].extra`"])
        assertError(try fixture.post("/v1/chat/completions", #"{"messages": [{"role": "robot", "content": "x"}]}"#),
                    400, "invalid_request", ["messages[0].role", "robot"])
        assertError(try fixture.post("/v1/generate", #"{"prompt": "x", "max_tokens": "ten"}"#), 400, "invalid_request", ["`max_tokens`", "integer"])
        assertError(try fixture.post("/v1/generate", #"{"prompt": 5}"#), 400, "invalid_request", ["`prompt`", "string"])
        assertError(try fixture.post("/v1/generate", #"{"max_tokens": 5}"#), 400, "invalid_request", ["missing", "`prompt`"])
        assertError(try fixture.post("/v1/generate", #"{"prompt": null}"#), 400, "invalid_request", ["`prompt`"])
        assertError(try fixture.post("/v1/generate", #"{"prompt": "x", "max_tokens": 1e400}"#), 400, "invalid_request", ["not valid JSON"])
        assertError(try fixture.post("/v1/search", #"{"query": "x", "mode": "dense"}"#), 400, "invalid_request", ["dense", "seal, bm25, hybrid"])
        assertError(try fixture.post("/v1/generate", bytes: Array(#"{"prompt": "caf"#.utf8) + [0xC3, 0x28] + Array(#""}"#.utf8)),
                    400, "invalid_request", ["UTF-8", "offset 15"])
        assertError(try fixture.post("/v1/generate", bytes: [0xFF, 0xFE, 0x00]), 400, "invalid_request", ["UTF-8", "offset 0"])
        let deep = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        assertError(try fixture.post("/v1/chat/completions", #"{"messages": [], "response_format": {"type": "json_schema", "json_schema": \#(deep)}}"#),
                    400, "invalid_request", ["nests JSON", "limit of 32"])
        assertError(try fixture.post("/v1/link", #"{"text": "[unclosed"}"#), 400, "invalid_request", ["never closed"])
        assertError(try fixture.post("/v1/link", #"{"text": "a ] b"}"#), 400, "invalid_request", ["without `[`", "offset 2"])
        assertError(try fixture.post("/v1/link", #"{"text": "plain"}"#), 400, "invalid_request", ["no mention"])
        assertError(try fixture.post("/v1/link", #"{"text": "abc", "mentions": [{"start": 2, "end": 9}]}"#), 400, "invalid_request", ["mentions[0]"])
        assertError(try fixture.post("/v1/generate", #"{"prompt": "x", "temperature": -1}"#), 400, "invalid_request", ["temperature"])
        // The connection survived every one of these.
        XCTAssertEqual(try fixture.get("/health").status, 200)
    }

    func testUnsupportedOpenAIFeaturesSayNotSupportedYet() throws {
        // response_format is honoured (the backends' tests check outputs); malformed ones are 400s.
        assertError(try fixture.post("/v1/chat/completions", #"""
            {"messages": [{"role": "user", "content": "x"}], "response_format": {"type": "json_schema", "json_schema": {"name": "t"}}}
            """#), 400, "invalid_request", ["response_format.json_schema", "schema"])
        assertError(try fixture.post("/v1/chat/completions", #"""
            {"messages": [{"role": "user", "content": "x"}], "response_format": {"type": "json_object"},
             "trellis": {"constraint": {"choices": ["a"]}}}
            """#), 400, "invalid_request", ["response_format", "not both"])
        assertError(try fixture.post("/v1/completions", #"{"prompt": "x", "n": 2}"#), 400, "not_supported", ["n = 1"])
        assertError(try fixture.post("/v1/completions", #"{"prompt": "x", "presence_penalty": 0.5}"#), 400, "not_supported", ["presence_penalty"])
        assertError(try fixture.post("/v1/completions", #"{"prompt": "x", "model": "gpt-4"}"#), 400, "invalid_request", ["gpt-4", "fake-model"])
    }

    func testImpossibleConstraintsAre422() throws {
        let cases: [(String, [String])] = [
            (#"{"min_words": 5, "max_words": 2}"#, ["min_words = 5", "max_words = 2"]),
            (#"{"keywords": [["cat", "cats"]], "banned_words": ["Cat", "cats"]}"#, ["keyword 0", "banned"]),
            (#"{"keywords": [[]]}"#, ["no alternative"]),
            (#"{"keywords": ["a b", "c"], "max_words": 2}"#, ["at least 3 words", "max_words = 2"]),
            (#"{"choices": []}"#, ["empty"]),
            (#"{"choices": ["a cat", "cat"], "banned_words": ["cat"]}"#, ["every choice"]),
            (#"{"min_words": 40}"#, ["min_words = 40", "max_tokens = 10"]),
        ]
        for (constraint, words) in cases {
            assertError(try fixture.post("/v1/generate", #"{"prompt": "x", "max_tokens": 10, "constraint": \#(constraint)}"#),
                        422, "impossible_constraint", words)
        }
        assertError(try fixture.post("/v1/generate", #"{"prompt": "x", "constraint": {"choices": ["a"], "kb_entity": true}}"#),
                    400, "invalid_request", ["at most one"])
        assertError(try fixture.post("/v1/generate", #"{"prompt": "__impossible__"}"#), 422, "impossible_constraint", ["__impossible__"])
        // Ordered parts: checked part by part; parts may not fix the whole output.
        assertError(try fixture.post("/v1/generate", #"{"prompt": "x", "max_tokens": 10, "constraint": {"then": [{"keywords": ["a"]}, {"min_words": 3, "max_words": 1}]}}"#),
                    422, "impossible_constraint", ["min_words = 3"])
        assertError(try fixture.post("/v1/generate", #"{"prompt": "x", "constraint": {"then": [{"choices": ["a"]}]}}"#),
                    400, "invalid_request", ["constraint.then[0]"])
        assertError(try fixture.post("/v1/generate", #"{"prompt": "x", "constraint": {"ordered": "yes"}}"#), 400, "invalid_request", ["ordered"])
        let spec = try JSONDecoder().decode(ConstraintSpec.self, from: Data(#"{"keywords": ["dog", "cat"], "ordered": true, "then": [{"min_words": 1}]}"#.utf8))
        XCTAssertEqual(spec.ordered, true)
        XCTAssertEqual(spec.then?.first?.minWords, 1)
        XCTAssertFalse(ConstraintSpec(then: [ConstraintSpec(minWords: 1)]).isEmpty)
    }

    func testGarbageThatIsNotHTTPGetsA400AndTheServerStaysUp() throws {
        let connection = try LoopbackHTTPConnection(port: fixture.port, timeout: 5)
        let response = try connection.sendRaw(Array("HELLO THERE\r\n\r\n".utf8))
        XCTAssertEqual(response.status, 400)
        XCTAssertEqual(try fixture.get("/health").status, 200)
    }

    func testGracefulShutdownFinishesInFlightRequests() throws {
        let slow = try ServerFixture(backend: FakeBackend(slowSeconds: 0.5))
        final class Box: @unchecked Sendable { var status = 0 }
        let box = Box()
        let finished = DispatchSemaphore(value: 0)
        Thread {
            let connection = try? LoopbackHTTPConnection(port: slow.port, timeout: 10)
            let response = try? connection?.send(method: "POST", path: "/v1/search", body: Array(#"{"query": "__slow__"}"#.utf8))
            box.status = response?.status ?? -1
            finished.signal()
        }.start()
        XCTAssertTrue(slow.waitUntil { slow.backend.active == 1 })
        slow.shutdown()  // the same path SIGTERM takes: ServiceGroup graceful shutdown
        XCTAssertEqual(finished.wait(timeout: .now() + 10), .success)
        XCTAssertEqual(box.status, 200, "the in-flight request should finish during graceful shutdown")
        XCTAssertThrowsError(try LoopbackHTTPConnection(port: slow.port, timeout: 2).send(method: "GET", path: "/health"),
                             "the server should not accept connections after shutdown")
    }
}
