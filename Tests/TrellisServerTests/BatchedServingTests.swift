import Foundation
import TrellisCore
@testable import TrellisServer
import TrellisTestSupport
import XCTest

/// Concurrent HTTP requests share the model's batched forward passes (through `BatchingModel`),
/// give exactly the answers they give alone, and a client that leaves stops its decode loop.
final class BatchedServingTests: XCTestCase {
    private static func generate(_ port: Int, prompt: String, maxTokens: Int) -> String? {
        guard let connection = try? LoopbackHTTPConnection(port: port, timeout: 30),
              let response = try? connection.send(method: "POST", path: "/v1/generate",
                                                  body: Array(#"{"prompt": "\#(prompt)", "max_tokens": \#(maxTokens)}"#.utf8)),
              response.status == 200 else { return nil }
        return (try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any])?["text"] as? String
    }

    func testConcurrentRequestsShareForwardPassesAndMatchSoloAnswers() throws {
        let prompts = (0..<12).map { "prompt number \($0) about things" }
        let steps = 24

        let soloBackend = BatchedModelBackend(delayPerCall: 0)
        let soloServer = try TrellisHTTPServer(backend: soloBackend)
        let soloFixture = try RunningFixture(server: soloServer)
        defer { soloFixture.shutdown() }
        let expected = prompts.map { Self.generate(soloFixture.port, prompt: $0, maxTokens: steps) }
        XCTAssertTrue(expected.allSatisfy { $0 != nil })
        XCTAssertEqual(soloBackend.base.extendCalls, prompts.count * steps)

        let backend = BatchedModelBackend(delayPerCall: 0.003)
        let fixture = try RunningFixture(server: try TrellisHTTPServer(backend: backend))
        defer { fixture.shutdown() }
        final class Results: @unchecked Sendable {
            let lock = NSLock()
            var texts: [Int: String?] = [:]
        }
        let results = Results()
        let group = DispatchGroup()
        for (i, prompt) in prompts.enumerated() {
            group.enter()
            Thread {
                let text = Self.generate(fixture.port, prompt: prompt, maxTokens: steps)
                results.lock.withLock { results.texts[i] = text }
                group.leave()
            }.start()
        }
        XCTAssertEqual(group.wait(timeout: .now() + 60), .success)
        for i in prompts.indices {
            XCTAssertEqual(results.texts[i] ?? nil, expected[i], "request \(i) differs when batched")
        }
        let calls = backend.base.extendCalls
        print("\(prompts.count) concurrent requests × \(steps) tokens: \(calls) forward passes, largest batch \(backend.base.largestBatch)")
        XCTAssertLessThan(calls, prompts.count * steps / 3, "requests did not share forward passes")
        XCTAssertGreaterThan(backend.base.largestBatch, 3)
        XCTAssertEqual(backend.base.violations, [])
        XCTAssertTrue(fixture.waitUntil { backend.base.liveSequenceCount == 0 }, "sequences leaked")

        // /metrics exports the batcher's counters: passes, rows, rows per pass above 1, largest batch.
        let metrics = try LoopbackHTTPConnection(port: fixture.port).send(method: "GET", path: "/metrics", body: nil, headers: []).bodyText
        func value(_ name: String) -> Double? {
            metrics.split(separator: "\n").first { $0.hasPrefix(name + " ") }.flatMap { Double($0.split(separator: " ")[1]) }
        }
        let stats = backend.batching.statistics
        XCTAssertEqual(value("trellis_batched_forward_passes_total"), Double(stats.underlyingCalls))
        XCTAssertEqual(value("trellis_batched_rows_total"), Double(stats.rows))
        XCTAssertEqual(value("trellis_batch_rows_max"), Double(stats.largestBatchRows))
        XCTAssertGreaterThan(value("trellis_batch_rows_per_pass") ?? 0, 1.5)
        XCTAssertGreaterThan(value("trellis_generated_tokens_per_second") ?? 0, 0)
    }

    func testClientThatLeavesMidStreamStopsItsDecodeLoop() throws {
        let backend = BatchedModelBackend(delayPerCall: 0.005)
        let fixture = try RunningFixture(server: try TrellisHTTPServer(backend: backend))
        defer { fixture.shutdown() }
        let connection = try LoopbackHTTPConnection(port: fixture.port)
        let body = #"{"prompt": "go on", "max_tokens": 1000, "stream": true}"#
        try connection.sendOnly(Array("POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)".utf8))
        XCTAssertTrue(fixture.waitUntil { backend.base.extendCalls >= 5 }, "generation did not start")
        connection.close()
        XCTAssertTrue(fixture.waitUntil { backend.base.liveSequenceCount == 0 }, "decode loop kept its sequence")
        let callsAfterStop = backend.base.extendCalls
        usleep(100_000)
        XCTAssertEqual(backend.base.extendCalls, callsAfterStop, "decode loop kept running after the client left")
        XCTAssertLessThan(callsAfterStop, 1000)
        XCTAssertEqual(try LoopbackHTTPConnection(port: fixture.port).send(method: "GET", path: "/health").status, 200)
    }

    func testBackendWithoutAnIndexAnswers503() throws {
        let fixture = try RunningFixture(server: try TrellisHTTPServer(backend: BatchedModelBackend()))
        defer { fixture.shutdown() }
        let response = try LoopbackHTTPConnection(port: fixture.port)
            .send(method: "POST", path: "/v1/search", body: Array(#"{"query": "x"}"#.utf8))
        XCTAssertEqual(response.status, 503)
        XCTAssertTrue(response.bodyText.contains("no passage index loaded"))
    }
}

/// A started server for any backend (the `ServerFixture` counterpart without a `FakeBackend`).
final class RunningFixture: @unchecked Sendable {
    let running: RunningTrellisServer
    var port: Int { running.port }

    init(server: TrellisHTTPServer) throws {
        running = try blockingAwait("server start") { try await server.start() }
    }

    func shutdown() {
        let running = self.running
        _ = try? blockingAwait("server shutdown") { await running.shutdown() }
    }

    func waitUntil(timeout: TimeInterval = 10, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if condition() { return true }
            usleep(5000)
        }
        return condition()
    }
}
