import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
@testable import TrellisServer
import XCTest

/// Happy paths of every endpoint through a real HTTP client against a real server on loopback.
final class EndpointTests: XCTestCase {
    var fixture: ServerFixture!

    override func setUpWithError() throws { fixture = try ServerFixture() }
    override func tearDown() { fixture.shutdown() }

    func testHealth() throws {
        let response = try fixture.get("/health")
        XCTAssertEqual(response.status, 200)
        XCTAssertEqual(response.header("content-type"), "application/json")
        let body = response.json()
        XCTAssertEqual(body["status"] as? String, "ok")
        XCTAssertEqual(body["model"] as? String, "fake-model")
        XCTAssertEqual(body["context_length"] as? Int, 256)
        XCTAssertEqual(body["in_flight"] as? Int, 0)
    }

    func testLinkWithMarkersOffsetsAndEndToEnd() throws {
        var response = try fixture.post("/v1/link", #"{"text": "[Paris] is in [Fränce].", "top_k": 2, "beam": 3}"#)
        XCTAssertEqual(response.status, 200, response.bodyText)
        var decoded = try JSONDecoder().decode(LinkResponse.self, from: Data(response.body))
        XCTAssertEqual(decoded.text, "Paris is in Fränce.")
        XCTAssertEqual(decoded.mentions.map(\.surface), ["Paris", "Fränce"])
        XCTAssertEqual(decoded.mentions.map { [$0.start, $0.end] }, [[0, 5], [12, 18]])
        XCTAssertEqual(decoded.mentions[0].entities.count, 2)
        XCTAssertEqual(decoded.mentions[0].entities[0].name, "Paris")

        response = try fixture.post("/v1/link", #"{"text": "I saw [x] in Rome", "mentions": [{"start": 13, "end": 17}]}"#)
        XCTAssertEqual(response.status, 200, response.bodyText)
        decoded = try JSONDecoder().decode(LinkResponse.self, from: Data(response.body))
        XCTAssertEqual(decoded.text, "I saw [x] in Rome", "explicit offsets take the text literally")
        XCTAssertEqual(decoded.mentions.map(\.surface), ["Rome"])
        XCTAssertEqual(decoded.mentions[0].entities.count, 5, "default top_k is 5")

        response = try fixture.post("/v1/link", #"{"text": "Alice met Bob in Berlin", "end_to_end": true, "top_k": 1, "candidates_only": true}"#)
        XCTAssertEqual(response.status, 200, response.bodyText)
        decoded = try JSONDecoder().decode(LinkResponse.self, from: Data(response.body))
        XCTAssertEqual(decoded.mentions.map(\.surface), ["Alice", "Bob", "Berlin"])
        XCTAssertEqual(decoded.mentions[0].entities[0].description, "candidate")
    }

    func testSearchModes() throws {
        for mode in SearchMode.allCases {
            let response = try fixture.post("/v1/search", #"{"query": "list comprehension", "mode": "\#(mode.rawValue)", "top_k": 3}"#)
            XCTAssertEqual(response.status, 200, response.bodyText)
            let decoded = try JSONDecoder().decode(SearchResponse.self, from: Data(response.body))
            XCTAssertEqual(decoded.mode, mode)
            XCTAssertEqual(decoded.results.map(\.id), ["p0", "p1", "p2"])
            XCTAssertEqual(decoded.results[0].ngrams == nil, mode == .bm25)
        }
        let response = try fixture.post("/v1/search", #"{"query": "x"}"#)
        XCTAssertEqual(try JSONDecoder().decode(SearchResponse.self, from: Data(response.body)).mode, .hybrid)
    }

    func testGenerateWithConstraints() throws {
        var response = try fixture.post("/v1/generate", #"""
            {"prompt": "A sentence:", "max_tokens": 8, "seed": 1,
             "constraint": {"keywords": ["dog", ["frisbee", "frisbees"]], "banned_words": ["cat"], "max_words": 10}}
            """#)
        XCTAssertEqual(response.status, 200, response.bodyText)
        let decoded = try JSONDecoder().decode(GenerateResponse.self, from: Data(response.body))
        XCTAssertEqual(decoded.text, "dog frisbee")
        XCTAssertEqual(decoded.finishReason, .stop)
        XCTAssertEqual(decoded.constraintSatisfied, true)
        XCTAssertEqual(decoded.usage, Usage(promptTokens: 2, completionTokens: 2))

        response = try fixture.post("/v1/generate", #"{"prompt": "Sentiment:", "constraint": {"choices": ["positive", "negative"]}, "seed": 1}"#)
        XCTAssertEqual(response.json()["text"] as? String, "negative")

        response = try fixture.post("/v1/generate", #"{"prompt": "Hi", "chat": true, "max_tokens": 3, "temperature": 0.7, "top_p": 0.9, "top_k": 40, "beam": 2, "stop": ["\n"]}"#)
        XCTAssertEqual(response.json()["text"] as? String, "w0 w1 w2")
        XCTAssertEqual(response.json()["finish_reason"] as? String, "length")
        XCTAssertNil(response.json()["constraint_satisfied"] as Any? as? Bool)
    }

    func testOpenAICompletionsWhole() throws {
        var response = try fixture.post("/v1/completions", #"{"model": "fake-model", "prompt": "Once", "max_tokens": 4, "temperature": 0, "n": 1, "user": "u"}"#)
        XCTAssertEqual(response.status, 200, response.bodyText)
        let completion = try JSONDecoder().decode(CompletionResponse.self, from: Data(response.body))
        XCTAssertEqual(completion.object, "text_completion")
        XCTAssertEqual(completion.model, "fake-model")
        XCTAssertTrue(completion.id.hasPrefix("cmpl-"))
        XCTAssertEqual(completion.choices, [CompletionChoice(text: "w0 w1 w2 w3", finishReason: .length)])
        XCTAssertEqual(completion.usage, Usage(promptTokens: 1, completionTokens: 4))

        response = try fixture.post("/v1/chat/completions", #"""
            {"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Pick one"}],
             "max_completion_tokens": 5, "response_format": {"type": "text"},
             "trellis": {"constraint": {"choices": ["red", "green"]}, "top_k": 10, "beam": 2}}
            """#)
        XCTAssertEqual(response.status, 200, response.bodyText)
        let chat = try JSONDecoder().decode(ChatCompletionResponse.self, from: Data(response.body))
        XCTAssertEqual(chat.object, "chat.completion")
        XCTAssertEqual(chat.choices.first?.message, ChatDelta(role: "assistant", content: "red"))
        XCTAssertEqual(chat.choices.first?.finishReason, .stop)
        XCTAssertEqual(chat.usage?.promptTokens, 3 + 2 + 3 + 2)
    }

    func testCompletionStreamIsServerSentEvents() throws {
        let whole = try fixture.post("/v1/completions", #"{"prompt": "Once", "max_tokens": 5}"#)
        let wholeText = (whole.json()["choices"] as? [[String: Any]])?.first?["text"] as? String

        let response = try fixture.post("/v1/completions", #"{"prompt": "Once", "max_tokens": 5, "stream": true, "stream_options": {"include_usage": true}}"#)
        XCTAssertEqual(response.status, 200)
        XCTAssertEqual(response.header("content-type"), "text/event-stream")
        XCTAssertTrue(response.chunked)
        XCTAssertTrue(response.bodyText.hasSuffix("data: [DONE]\n\n"))
        let events = response.sseEvents
        XCTAssertEqual(events.last, "[DONE]")
        let chunks = try events.dropLast().map { try JSONDecoder().decode(CompletionResponse.self, from: Data($0.utf8)) }
        XCTAssertEqual(chunks.count, 5 + 1 + 1, "five deltas, the finish chunk, the usage chunk")
        XCTAssertEqual(chunks.flatMap(\.choices).map(\.text).joined(), wholeText)
        XCTAssertEqual(Set(chunks.map(\.id)).count, 1)
        XCTAssertEqual(chunks[5].choices.first?.finishReason, .length)
        XCTAssertTrue(chunks[0..<5].allSatisfy { $0.choices.first?.finishReason == nil })
        XCTAssertEqual(chunks[6].usage, Usage(promptTokens: 1, completionTokens: 5))
        XCTAssertTrue(chunks[6].choices.isEmpty)
        // `finish_reason` is an explicit null while streaming, as OpenAI clients expect.
        XCTAssertTrue(events[0].contains(#""finish_reason":null"#), events[0])
    }

    func testChatStreamStartsWithTheAssistantRole() throws {
        let response = try fixture.post("/v1/chat/completions", #"{"messages": [{"role": "user", "content": "Hi"}], "max_tokens": 2, "stream": true}"#)
        XCTAssertEqual(response.status, 200)
        let events = response.sseEvents
        XCTAssertEqual(events.last, "[DONE]")
        let chunks = try events.dropLast().map { try JSONDecoder().decode(ChatCompletionResponse.self, from: Data($0.utf8)) }
        XCTAssertTrue(chunks.allSatisfy { $0.object == "chat.completion.chunk" })
        XCTAssertEqual(chunks.first?.choices.first?.delta?.role, "assistant")
        XCTAssertEqual(chunks.compactMap { $0.choices.first?.delta?.content }.joined(), "w0 w1")
        XCTAssertEqual(chunks.last?.choices.first?.finishReason, .length)
    }

    func testStreamErrorsBeforeTheFirstTokenAre4xxAndAfterItAnEvent() throws {
        var response = try fixture.post("/v1/completions", #"{"prompt": "__impossible__", "stream": true}"#)
        XCTAssertEqual(response.status, 422)
        XCTAssertEqual(response.header("content-type"), "application/json")
        XCTAssertEqual(response.errorParts().type, "impossible_constraint")

        response = try fixture.post("/v1/completions", #"{"prompt": "__fail_midstream__", "max_tokens": 5, "stream": true}"#)
        XCTAssertEqual(response.status, 200)
        let events = response.sseEvents
        XCTAssertEqual(events.count, 2 + 1 + 1, "two deltas, the error event, [DONE]")
        XCTAssertTrue(events[2].contains(#""error""#) && events[2].contains("failed in the middle"), events[2])
        XCTAssertEqual(events.last, "[DONE]")
        // The server is fine afterwards, on the same connection.
        XCTAssertEqual(try fixture.get("/health").status, 200)
    }

    func testMetricsAreInPrometheusTextFormat() throws {
        _ = try fixture.post("/v1/link", #"{"text": "[A]"}"#)
        _ = try fixture.post("/v1/link", #"{"text": "no mention"}"#)
        _ = try fixture.post("/v1/generate", #"{"prompt": "x", "max_tokens": 7}"#)
        _ = try fixture.get("/nowhere")
        let response = try fixture.get("/metrics")
        XCTAssertEqual(response.status, 200)
        XCTAssertTrue(response.header("content-type")?.hasPrefix("text/plain; version=0.0.4") == true)
        let text = response.bodyText
        for expected in [
            #"trellis_http_requests_total{endpoint="/v1/link",status="200"} 1"#,
            #"trellis_http_requests_total{endpoint="/v1/link",status="400"} 1"#,
            #"trellis_http_requests_total{endpoint="unmatched",status="404"} 1"#,
            #"trellis_http_request_duration_seconds_bucket{endpoint="/v1/generate",le="+Inf"} 1"#,
            #"trellis_http_request_duration_seconds_count{endpoint="/v1/link"} 2"#,
            "trellis_generated_tokens_total 7",
            "trellis_queue_depth 0",
            "trellis_requests_in_flight 0",
            "# TYPE trellis_http_request_duration_seconds histogram",
        ] {
            XCTAssertTrue(text.contains(expected), "missing `\(expected)` in:\n\(text)")
        }
        // Every sample line is `name{labels} value` or `name value` with a numeric value.
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            let value = line.split(separator: " ").last.map(String.init) ?? ""
            XCTAssertNotNil(Double(value), "bad sample line: \(line)")
        }
    }

    func testOpenAPIDocumentListsEveryRoute() throws {
        let response = try fixture.get("/openapi.json")
        XCTAssertEqual(response.status, 200)
        let document = response.json()
        XCTAssertEqual(document["openapi"] as? String, "3.1.0")
        let paths = document["paths"] as? [String: [String: Any]] ?? [:]
        for route in TrellisHTTPServer.routes {
            XCTAssertNotNil(paths[route.path]?[route.method.rawValue.lowercased()], "\(route.method) \(route.path) is not documented")
        }
        XCTAssertEqual(Set(paths.keys), Set(TrellisHTTPServer.routes.map(\.path)), "documented paths that are not served")
    }

    func testUnknownPathIs404AndWrongMethodIs405InJSON() throws {
        var response = try fixture.get("/v2/nothing")
        XCTAssertEqual(response.status, 404)
        XCTAssertEqual(response.errorParts().type, "not_found")
        response = try fixture.get("/v1/link")
        XCTAssertEqual(response.status, 405)
        XCTAssertEqual(response.errorParts().type, "method_not_allowed")
        XCTAssertTrue(response.errorParts().message.contains("POST"))
    }

    /// The same API through Foundation's URLSession, a client we did not write.
    func testURLSessionClient() throws {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(fixture.port)/v1/search")!)
        request.httpMethod = "POST"
        request.httpBody = Data(#"{"query": "hello", "top_k": 1}"#.utf8)
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        let done = expectation(description: "response")
        final class Box: @unchecked Sendable { var status = 0; var data = Data() }
        let box = Box()
        URLSession.shared.dataTask(with: request) { data, response, _ in
            box.status = (response as? HTTPURLResponse)?.statusCode ?? 0
            box.data = data ?? Data()
            done.fulfill()
        }.resume()
        wait(for: [done], timeout: 30)
        XCTAssertEqual(box.status, 200)
        XCTAssertEqual(try JSONDecoder().decode(SearchResponse.self, from: box.data).results.count, 1)
    }
}
