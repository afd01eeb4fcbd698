import Foundation
@testable import TrellisServer
import TrellisTestSupport
import XCTest

/// A real Trellis server on 127.0.0.1 (ephemeral port) over a `FakeBackend`, started and stopped
/// from synchronous test code, plus request helpers over `LoopbackHTTPConnection`.
final class ServerFixture: @unchecked Sendable {
    let backend: FakeBackend
    let server: TrellisHTTPServer
    let running: RunningTrellisServer
    var port: Int { running.port }
    private(set) lazy var connection: LoopbackHTTPConnection = try! LoopbackHTTPConnection(port: port, timeout: 30)

    init(backend: FakeBackend = FakeBackend(), limits: ServerLimits = ServerLimits()) throws {
        self.backend = backend
        let server = try TrellisHTTPServer(backend: backend, limits: limits)
        self.server = server
        running = try blockingAwait("server start") { try await server.start(host: "127.0.0.1", port: 0) }
    }

    func shutdown() {
        let running = self.running
        XCTAssertNoThrow(try blockingAwait("server shutdown") { await running.shutdown() })
    }

    func post(_ path: String, _ json: String) throws -> HTTPResponseMessage {
        try connection.send(method: "POST", path: path, body: Array(json.utf8))
    }

    func post(_ path: String, bytes: [UInt8]) throws -> HTTPResponseMessage {
        try connection.send(method: "POST", path: path, body: bytes)
    }

    func get(_ path: String) throws -> HTTPResponseMessage {
        try connection.send(method: "GET", path: path, body: nil, headers: [])
    }

    /// Polls `condition` every 5 ms for at most `timeout` seconds.
    func waitUntil(timeout: TimeInterval = 10, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if condition() { return true }
            usleep(5000)
        }
        return condition()
    }
}

extension HTTPResponseMessage {
    /// The body as a JSON object (fails the test when it is not one).
    func json(file: StaticString = #filePath, line: UInt = #line) -> [String: Any] {
        guard let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] else {
            XCTFail("body is not a JSON object: \(bodyText.prefix(300))", file: file, line: line)
            return [:]
        }
        return object
    }

    /// `error.type` and `error.message` of an error body.
    func errorParts(file: StaticString = #filePath, line: UInt = #line) -> (type: String, message: String, param: String?) {
        let error = json(file: file, line: line)["error"] as? [String: Any] ?? [:]
        return (error["type"] as? String ?? "<none>", error["message"] as? String ?? "<none>", error["param"] as? String)
    }

    /// The `data:` payloads of a server-sent-event body, in order.
    var sseEvents: [String] {
        bodyText.components(separatedBy: "\n\n").filter { !$0.isEmpty }.map { event in
            event.hasPrefix("data: ") ? String(event.dropFirst(6)) : "<not data: \(event)>"
        }
    }
}
