import TrellisCore
import Foundation
@testable import TrellisServer
import XCTest

/// Throws thousands of random and mutated bodies at every endpoint and checks that each answer
/// is a well-formed HTTP response carrying JSON (success or `{"error": …}`) or a complete SSE
/// stream, never a 5xx, a hang or a dropped connection, and that the server is healthy after.
final class FuzzTests: XCTestCase {

    static let paths = ["/v1/link", "/v1/search", "/v1/generate", "/v1/completions", "/v1/chat/completions", "/health", "/metrics"]

    static let validBodies: [String: [String]] = [
        "/v1/link": [#"{"text": "[Paris] is in [France].", "top_k": 2}"#,
                     #"{"text": "Alice met Bob", "end_to_end": true, "beam": 2, "candidates_only": false}"#,
                     #"{"text": "I saw Rome", "mentions": [{"start": 6, "end": 10}]}"#],
        "/v1/search": [#"{"query": "list comprehension", "mode": "seal", "top_k": 3}"#, #"{"query": "x"}"#],
        "/v1/generate": [#"{"prompt": "Hi", "max_tokens": 5, "constraint": {"keywords": ["dog", ["cat", "cats"]], "min_words": 1, "max_words": 9}}"#,
                         #"{"prompt": "Hi", "chat": true, "temperature": 0.5, "top_p": 0.9, "top_k": 3, "seed": 7, "beam": 2, "stop": ["."]}"#,
                         #"{"prompt": "Q", "constraint": {"choices": ["yes", "no"]}}"#],
        "/v1/completions": [#"{"prompt": "Once", "max_tokens": 4, "stream": true}"#,
                            #"{"prompt": "Once", "max_tokens": 3, "trellis": {"constraint": {"banned_words": ["x"]}, "beam": 1}}"#],
        "/v1/chat/completions": [#"{"messages": [{"role": "user", "content": "Hi"}], "max_tokens": 3, "stream": true, "stream_options": {"include_usage": true}}"#,
                                 #"{"messages": [{"role": "system", "content": "s"}, {"role": "user", "content": "u"}], "response_format": {"type": "text"}}"#],
        "/health": [""], "/metrics": [""],
    ]

    static let fieldNames = ["text", "mentions", "end_to_end", "top_k", "beam", "candidates_only", "query", "mode", "prompt",
                             "chat", "max_tokens", "temperature", "top_p", "seed", "stop", "constraint", "keywords",
                             "banned_words", "min_words", "max_words", "choices", "kb_entity", "corpus_ngram", "messages",
                             "role", "content", "stream", "stream_options", "include_usage", "n", "model", "trellis",
                             "response_format", "type", "json_schema", "max_completion_tokens", "start", "end", "bogus", ""]

    static let fragments = ["null", "true", "false", "-1", "0", "1e309", "-0.0", "99999999999999999999", "\"", "{", "}", "[", "]",
                            ",", ":", #""\u0000""#, #""\ud800""#, #""\uD83D\uDE00""#, #""stream": true"#, #""[x]""#, "\\", "\u{FEFF}",
                            #""max_tokens": 100000"#, #""beam": 1000"#, "NaN", "Infinity", "\t\n"]

    static func randomValue(_ rng: inout SplitMix64, depth: Int) -> String {
        switch Int.random(in: 0..<(depth > 2 ? 7 : 9), using: &rng) {
        case 0: return "null"
        case 1: return Bool.random(using: &rng) ? "true" : "false"
        case 2: return String(Int.random(in: -5...70, using: &rng))
        case 3: return String(Int64.random(in: Int64.min...Int64.max, using: &rng))
        case 4: return String(Double.random(in: -3...3, using: &rng))
        case 5: return "\"" + ["", "x", "[a]", "hello world", "__impossible__", "seal", "user", "text", "[", "Ωmega ✓"].randomElement(using: &rng)! + "\""
        case 6: return "\"" + String(repeating: "w ", count: Int.random(in: 0...40, using: &rng)) + "\""
        case 7: return "[" + (0..<Int.random(in: 0...3, using: &rng)).map { _ in Self.randomValue(&rng, depth: depth + 1) }.joined(separator: ",") + "]"
        default: return Self.randomObject(&rng, depth: depth + 1)
        }
    }

    static func randomObject(_ rng: inout SplitMix64, depth: Int) -> String {
        let count = Int.random(in: 0...5, using: &rng)
        let members = (0..<count).map { _ in
            "\"\(Self.fieldNames.randomElement(using: &rng)!)\": \(Self.randomValue(&rng, depth: depth))"
        }
        return "{" + members.joined(separator: ", ") + "}"
    }

    static func mutate(_ body: String, _ rng: inout SplitMix64) -> [UInt8] {
        var bytes = Array(body.utf8)
        for _ in 0..<Int.random(in: 1...3, using: &rng) {
            let position = bytes.isEmpty ? 0 : Int.random(in: 0..<bytes.count, using: &rng)
            switch Int.random(in: 0..<6, using: &rng) {
            case 0 where !bytes.isEmpty: bytes[position] = UInt8.random(in: 0...255, using: &rng)
            case 1 where !bytes.isEmpty: bytes.removeSubrange(position..<min(bytes.count, position + Int.random(in: 1...8, using: &rng)))
            case 2: bytes.insert(contentsOf: Array(Self.fragments.randomElement(using: &rng)!.utf8), at: position)
            case 3: bytes = Array(bytes.prefix(position))
            case 4 where !bytes.isEmpty:
                let end = min(bytes.count, position + Int.random(in: 1...20, using: &rng))
                bytes.insert(contentsOf: bytes[position..<end], at: position)
            default: bytes.insert(contentsOf: Array(#""\#(Self.fieldNames.randomElement(using: &rng)!)": 1, "#.utf8), at: position)
            }
        }
        return bytes
    }

    static func makeBody(for path: String, _ rng: inout SplitMix64) -> [UInt8] {
        let valid = Self.validBodies[path]!
        switch Int.random(in: 0..<10, using: &rng) {
        case 0: return (0..<Int.random(in: 0...200, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
        case 1: return Array(Self.randomValue(&rng, depth: 0).utf8)
        case 2, 3: return Array(Self.randomObject(&rng, depth: 0).utf8)
        case 4: return Array(valid.randomElement(using: &rng)!.utf8)
        default: return Self.mutate(valid.randomElement(using: &rng)!, &rng)
        }
    }

    /// Checks one answer; returns a description of what is wrong, or nil.
    static func problem(with response: HTTPResponseMessage, path: String) -> String? {
        if response.status >= 500 { return "server error \(response.status): \(response.bodyText.prefix(300))" }
        if response.status < 200 { return "unexpected status \(response.status)" }
        let type = response.header("content-type") ?? ""
        if type == "text/event-stream" {
            guard response.status == 200 else { return "SSE with status \(response.status)" }
            let events = response.sseEvents
            guard events.last == "[DONE]" else { return "SSE stream does not end with [DONE]" }
            for event in events.dropLast() {
                guard (try? JSONSerialization.jsonObject(with: Data(event.utf8))) is [String: Any] else {
                    return "SSE event is not a JSON object: \(event.prefix(200))"
                }
            }
            return nil
        }
        if path == "/metrics" && response.status == 200 { return type.hasPrefix("text/plain") ? nil : "metrics content-type \(type)" }
        guard type == "application/json" else { return "content-type `\(type)` for status \(response.status)" }
        guard let object = (try? JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any] else {
            return "body is not a JSON object: \(response.bodyText.prefix(200))"
        }
        if response.status >= 400 {
            guard let error = object["error"] as? [String: Any], error["type"] is String, let message = error["message"] as? String,
                  !message.isEmpty else {
                return "error body without error.type/message: \(response.bodyText.prefix(200))"
            }
        }
        return nil
    }

    func testThousandsOfRandomAndMutatedBodiesGetWellFormedAnswers() throws {
        let seed = UInt64(ProcessInfo.processInfo.environment["TRELLIS_FUZZ_SEED"] ?? "") ?? UInt64.random(in: 0...UInt64.max)
        let fixture = try ServerFixture(limits: ServerLimits(maxBodyBytes: 64 * 1024, maxNewTokens: 64, requestTimeoutMilliseconds: 5000))
        defer { fixture.shutdown() }
        let workers = 4, perWorker = 1000, timeBudget: TimeInterval = 120
        final class Tally: @unchecked Sendable {
            let lock = NSLock()
            var sent = 0, ok = 0, clientErrors = 0
            var problems: [String] = []
            var statuses: [Int: Int] = [:]
        }
        let tally = Tally()
        let deadline = Date().addingTimeInterval(timeBudget)
        let group = DispatchGroup()
        for worker in 0..<workers {
            group.enter()
            Thread {
                defer { group.leave() }
                var rng = SplitMix64(seed: seed &+ UInt64(worker) &* 0x1000_0000_0000_0001)
                guard let connection = try? LoopbackHTTPConnection(port: fixture.port, timeout: 20) else { return }
                for _ in 0..<perWorker where Date() < deadline {
                    let path = Self.paths.randomElement(using: &rng)!
                    let body = Self.makeBody(for: path, &rng)
                    let method = path.hasPrefix("/v1/") ? "POST" : "GET"
                    var problem: String?
                    var status = 0
                    do {
                        let response = try connection.send(method: method, path: path, body: body.isEmpty && method == "GET" ? nil : body)
                        status = response.status
                        problem = Self.problem(with: response, path: path)
                    } catch {
                        problem = "transport: \(error)"
                        connection.close()
                    }
                    tally.lock.lock()
                    tally.sent += 1
                    tally.statuses[status, default: 0] += 1
                    if (200..<300).contains(status) { tally.ok += 1 } else if (400..<500).contains(status) { tally.clientErrors += 1 }
                    if let problem, tally.problems.count < 20 {
                        tally.problems.append("\(method) \(path) body=\(String(decoding: body.prefix(200), as: UTF8.self).debugDescription): \(problem)")
                    }
                    tally.lock.unlock()
                }
                connection.close()
            }.start()
        }
        XCTAssertEqual(group.wait(timeout: .now() + timeBudget + 60), .success, "fuzz workers did not finish (seed \(seed))")
        tally.lock.lock(); defer { tally.lock.unlock() }
        print("fuzz seed \(seed): \(tally.sent) requests, \(tally.ok) 2xx, \(tally.clientErrors) 4xx, statuses \(tally.statuses.sorted { $0.key < $1.key })")
        XCTAssertTrue(tally.problems.isEmpty, "seed \(seed):\n" + tally.problems.joined(separator: "\n"))
        XCTAssertGreaterThanOrEqual(tally.sent, 1000, "too few requests within the time budget (seed \(seed))")
        XCTAssertGreaterThan(tally.ok, 100, "the mix should include successes (seed \(seed))")
        XCTAssertGreaterThan(tally.clientErrors, 500, "the mix should include rejections (seed \(seed))")

        let health = try fixture.get("/health")
        XCTAssertEqual(health.status, 200)
        XCTAssertEqual(health.json()["in_flight"] as? Int, 0)
        XCTAssertTrue(fixture.waitUntil { fixture.backend.active == 0 })
        XCTAssertTrue(fixture.waitUntil { fixture.server.connections.count == 1 },
                      "only the fixture's own connection should stay open, not \(fixture.server.connections.count)")
    }
}
