import Foundation
import Hummingbird
import NIOConcurrencyHelpers
import NIOCore
import ServiceLifecycle

/// Per-request context: Hummingbird's core storage plus which connection the request came on
/// (so its work can be cancelled when that client disconnects).
public struct TrellisRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    let channelID: ObjectIdentifier
    /// The connection's event loop, which runs the request's deadline timer.
    let eventLoop: any EventLoop

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channelID = ObjectIdentifier(source.channel)
        eventLoop = source.channel.eventLoop
    }
}

/// The Trellis HTTP service: JSON endpoints for linking, search and constrained generation,
/// OpenAI-compatible completions (with server-sent-event streaming), health, Prometheus metrics
/// and the OpenAPI document, over any `TrellisBackend`.
///
/// Every request is decoded strictly (unknown fields are a 400 naming them), checked against
/// `ServerLimits`, admitted through a bounded slot queue (429 beyond it), run under a deadline
/// (408) and cancelled when its client disconnects. Errors are always JSON:
/// `{"error": {"type", "message", "param"}}`. `run` serves until SIGTERM or SIGINT and then shuts
/// down gracefully: no new connections, in-flight requests finish (bounded by the deadline).
public final class TrellisHTTPServer: Sendable {
    public let backend: any TrellisBackend
    public let limits: ServerLimits
    let metrics = ServerMetrics()
    let admission: AdmissionGate
    let connections = ConnectionRegistry()
    let validator: RequestValidator
    private let nextResponseID = NIOLockedValueBox(0)

    /// The paths served, for metrics labels and 405 answers.
    static let routes: [(method: HTTPRequest.Method, path: String)] = [
        (.get, "/health"), (.get, "/metrics"), (.get, "/openapi.json"),
        (.post, "/v1/link"), (.post, "/v1/search"), (.post, "/v1/generate"),
        (.post, "/v1/completions"), (.post, "/v1/chat/completions"),
    ]

    public init(backend: any TrellisBackend, limits: ServerLimits = ServerLimits()) throws {
        self.backend = backend
        self.limits = try limits.validated()
        self.admission = AdmissionGate(maxRunning: limits.maxConcurrentRequests, maxQueued: limits.maxQueuedRequests)
        self.validator = RequestValidator(limits: limits, backend: backend)
    }

    /// Serves on `host:port` until SIGTERM or SIGINT, then shuts down gracefully.
    public static func run(backend: any TrellisBackend, host: String = "127.0.0.1", port: Int = 8080,
                           limits: ServerLimits = ServerLimits(),
                           onRunning: @escaping @Sendable (_ port: Int) async -> Void = { _ in }) async throws {
        let server = try TrellisHTTPServer(backend: backend, limits: limits)
        let app = server.makeApplication(host: host, port: port, onRunning: onRunning)
        try await app.runService(gracefulShutdownSignals: [.sigterm, .sigint])
    }

    /// Starts serving in the background (for tests and embedding); `port` 0 picks a free port.
    public func start(host: String = "127.0.0.1", port: Int = 0) async throws -> RunningTrellisServer {
        let (ports, portContinuation) = AsyncStream<Int>.makeStream()
        let app = makeApplication(host: host, port: port) { port in
            portContinuation.yield(port)
            portContinuation.finish()
        }
        let group = ServiceGroup(configuration: .init(services: [app], logger: app.logger))
        let task = Task { try await group.run() }
        var iterator = ports.makeAsyncIterator()
        guard let boundPort = await iterator.next() else {
            task.cancel()
            throw BackendError.unavailable("server did not start on \(host):\(port)")
        }
        return RunningTrellisServer(port: boundPort, group: group, task: task)
    }

    /// The Hummingbird application with every route, the error middleware and the disconnect watcher.
    public func makeApplication(host: String, port: Int,
                                onRunning: @escaping @Sendable (Int) async -> Void = { _ in }) -> some ApplicationProtocol {
        let router = Router(context: TrellisRequestContext.self)
        router.add(middleware: ErrorAndMetricsMiddleware(server: self))
        router.get("/health") { _, _ in self.health() }
        router.get("/metrics") { _, _ in self.metricsResponse() }
        router.get("/openapi.json") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json"],
                     body: .init(byteBuffer: ByteBuffer(string: OpenAPIDocument.json)))
        }
        router.post("/v1/link") { request, context in
            let body = try await self.decodeBody(LinkRequest.self, from: request)
            let query = try self.validator.linkQuery(body)
            return try await self.runJSON(context) { try await self.backend.link(query) }
        }
        router.post("/v1/search") { request, context in
            let body = try await self.decodeBody(SearchRequest.self, from: request)
            let query = try self.validator.searchQuery(body)
            return try await self.runJSON(context) { try await self.backend.search(query) }
        }
        router.post("/v1/generate") { request, context in
            let body = try await self.decodeBody(GenerateRequest.self, from: request)
            let query = try self.validator.generationQuery(body)
            return try await self.runJSON(context) {
                let result = try await self.collect(query)
                return GenerateResponse(text: result.text, finishReason: result.summary.finishReason,
                                        constraintSatisfied: result.summary.constraintSatisfied,
                                        usage: Usage(promptTokens: result.summary.promptTokens,
                                                     completionTokens: result.summary.completionTokens))
            }
        }
        router.post("/v1/completions") { request, context in
            let body = try await self.decodeBody(CompletionRequest.self, from: request)
            let query = try self.validator.generationQuery(body)
            return try await self.completions(query, stream: body.fields.stream == true,
                                              includeUsage: body.fields.streamOptions?.includeUsage == true,
                                              chat: false, context: context)
        }
        router.post("/v1/chat/completions") { request, context in
            let body = try await self.decodeBody(ChatCompletionRequest.self, from: request)
            let query = try self.validator.generationQuery(body)
            return try await self.completions(query, stream: body.fields.stream == true,
                                              includeUsage: body.fields.streamOptions?.includeUsage == true,
                                              chat: true, context: context)
        }

        let registry = connections
        return Application(
            router: router,
            server: .http1(configuration: .init(
                additionalChannelHandlers: [ConnectionCloseWatcher(registry: registry)],
                idleTimeout: .seconds(75))),
            configuration: .init(address: .hostname(host, port: port), serverName: "trellis"),
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? port) })
    }

    // MARK: Plumbing

    /// Reads the body within `max_body_bytes`, checks UTF-8 and nesting, decodes strictly.
    func decodeBody<T: Decodable>(_ type: T.Type, from request: Request) async throws -> T {
        let maxBytes = limits.maxBodyBytes
        if let declared = request.headers[.contentLength].flatMap({ Int($0) }), declared > maxBytes {
            throw APIError.bodyTooLarge(declared, limit: maxBytes)
        }
        var buffer = ByteBuffer()
        for try await part in request.body {
            if buffer.readableBytes + part.readableBytes > maxBytes {
                throw APIError.bodyTooLarge(buffer.readableBytes + part.readableBytes, limit: maxBytes)
            }
            var part = part
            buffer.writeBuffer(&part)
        }
        return try buffer.withUnsafeReadableBytes { bytes in
            if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) {
                throw APIError(status: 400, type: "invalid_request", message: "body is empty; expected a JSON object")
            }
            if let offset = firstInvalidUTF8Offset(bytes) {
                throw APIError(status: 400, type: "invalid_request", message: "body is not valid UTF-8 (first bad byte at offset \(offset))")
            }
            if let depth = jsonNestingBeyond(Self.maxJSONDepth, bytes) {
                throw APIError(status: 400, type: "invalid_request",
                               message: "body nests JSON \(depth) levels deep, over the limit of \(Self.maxJSONDepth)")
            }
            do {
                return try JSONDecoder().decode(T.self, from: Data(bytes))
            } catch let error as DecodingError {
                throw RequestDecodingError.from(error)
            }
        }
    }

    /// Deepest JSON nesting accepted (request types need 4; `json_schema` gets the rest).
    static let maxJSONDepth = 32

    /// Runs backend work for one request: a slot, the deadline, cancellation on disconnect.
    func runJSON<T: Encodable & Sendable>(_ context: TrellisRequestContext,
                                          _ work: @escaping @Sendable () async throws -> T) async throws -> Response {
        let deadline = ContinuousClock.now + .milliseconds(limits.requestTimeoutMilliseconds)
        let timeout = limits.requestTimeoutMilliseconds
        let value = try await connections.cancellingOnClose(context.channelID) {
            try await self.admission.acquire()
            defer { self.admission.release() }
            return try await withDeadline(deadline, limitMilliseconds: timeout, on: context.eventLoop, work)
        }
        return Self.json(value)
    }

    /// Runs a generation to its end, returning the text and summary.
    func collect(_ query: GenerationQuery) async throws -> (text: String, summary: GenerationSummary) {
        let started = ContinuousClock.now
        var text = ""
        var summary: GenerationSummary?
        for try await event in backend.generate(query) {
            switch event {
            case .text(let delta): text += delta
            case .finished(let end): summary = end
            }
        }
        try Task.checkCancellation()
        guard let summary else {
            throw APIError(status: 500, type: "internal_error", message: "generation ended without a summary")
        }
        metrics.recordGeneration(promptTokens: summary.promptTokens, generatedTokens: summary.completionTokens,
                                 seconds: (ContinuousClock.now - started).seconds)
        return (text, summary)
    }

    func nextID(_ prefix: String) -> String {
        let n = nextResponseID.withLockedValue { id -> Int in
            id += 1
            return id
        }
        return "\(prefix)-\(n)"
    }

    private func health() -> Response {
        let info = backend.info
        struct Health: Encodable {
            let status: String
            let model: String
            let contextLength: Int
            let endpoints: [String: Bool]
            let inFlight: Int
            let queued: Int
            enum CodingKeys: String, CodingKey {
                case status, model, endpoints, queued
                case contextLength = "context_length"
                case inFlight = "in_flight"
            }
        }
        return Self.json(Health(status: "ok", model: info.modelName, contextLength: info.contextLength,
                                endpoints: ["link": info.canLink, "search": info.canSearch, "generate": info.canGenerate],
                                inFlight: admission.running, queued: admission.queued))
    }

    private func metricsResponse() -> Response {
        let text = metrics.render(inFlight: admission.running, queued: admission.queued, backend: backend.statistics)
        return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                        body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    static func json(_ value: some Encodable, status: HTTPResponse.Status = .ok) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        let data = (try? encoder.encode(value)) ?? Data(#"{"error":{"type":"internal_error","message":"response could not be encoded"}}"#.utf8)
        return Response(status: status, headers: [.contentType: "application/json"],
                        body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func errorResponse(_ error: APIError) -> Response {
        json(APIErrorBody(error), status: HTTPResponse.Status(code: error.status))
    }
}

/// A server started with `TrellisHTTPServer.start`; `shutdown()` stops it gracefully.
public final class RunningTrellisServer: Sendable {
    public let port: Int
    private let group: ServiceGroup
    private let task: Task<Void, any Error>

    init(port: Int, group: ServiceGroup, task: Task<Void, any Error>) {
        self.port = port
        self.group = group
        self.task = task
    }

    /// Stops accepting connections, lets in-flight requests finish, and returns when done.
    public func shutdown() async {
        await group.triggerGracefulShutdown()
        _ = try? await task.value
    }
}

extension APIError {
    static func bodyTooLarge(_ size: Int, limit: Int) -> APIError {
        APIError(status: 413, type: "limit_exceeded",
                 message: "request body is \(size) bytes, over the limit max_body_bytes = \(limit)")
    }
}

extension Duration {
    var seconds: Double {
        let (s, attoseconds) = components
        return Double(s) + Double(attoseconds) * 1e-18
    }
}

/// The first nesting depth above `limit` reached by JSON arrays and objects in `bytes` (strings
/// skipped), or nil. A cheap guard so decoding never recurses deeply. O(n).
func jsonNestingBeyond(_ limit: Int, _ bytes: UnsafeRawBufferPointer) -> Int? {
    var depth = 0
    var inString = false
    var escaped = false
    for byte in bytes {
        if inString {
            if escaped { escaped = false } else if byte == UInt8(ascii: "\\") { escaped = true } else if byte == UInt8(ascii: "\"") { inString = false }
            continue
        }
        switch byte {
        case UInt8(ascii: "\""): inString = true
        case UInt8(ascii: "["), UInt8(ascii: "{"):
            depth += 1
            if depth > limit { return depth }
        case UInt8(ascii: "]"), UInt8(ascii: "}"): depth -= 1
        default: break
        }
    }
    return nil
}
