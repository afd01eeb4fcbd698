import Foundation
import Hummingbird
import NIOConcurrencyHelpers
import NIOCore

/// A value set once by one task and awaited by another (the first event of a generation).
final class OneShot<T: Sendable>: Sendable {
    private enum State {
        case pending([CheckedContinuation<T, any Error>])
        case done(Result<T, any Error>)
    }

    private let state = NIOLockedValueBox(State.pending([]))

    /// Sets the result; false (and no effect) when it was set already.
    @discardableResult
    func fulfill(_ result: Result<T, any Error>) -> Bool {
        let waiters = state.withLockedValue { s -> [CheckedContinuation<T, any Error>]? in
            guard case .pending(let waiters) = s else { return nil }
            s = .done(result)
            return waiters
        }
        guard let waiters else { return false }
        for waiter in waiters { waiter.resume(with: result) }
        return true
    }

    func value() async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let ready = state.withLockedValue { s -> Result<T, any Error>? in
                switch s {
                case .pending(var waiters):
                    waiters.append(continuation)
                    s = .pending(waiters)
                    return nil
                case .done(let result):
                    return result
                }
            }
            if let ready { continuation.resume(with: ready) }
        }
    }
}

extension TrellisHTTPServer {
    /// `/v1/completions` and `/v1/chat/completions`, whole or streamed as server-sent events.
    func completions(_ query: GenerationQuery, stream: Bool, includeUsage: Bool, chat: Bool,
                     context: TrellisRequestContext) async throws -> Response {
        let id = nextID(chat ? "chatcmpl" : "cmpl")
        let created = Int(Date().timeIntervalSince1970)
        let model = backend.info.modelName
        if !stream && chat {
            return try await runJSON(context) {
                let (text, summary) = try await self.collect(query)
                return ChatCompletionResponse(
                    id: id, object: "chat.completion", created: created, model: model,
                    choices: [ChatChoice(message: ChatDelta(role: "assistant", content: text),
                                         finishReason: summary.finishReason)],
                    usage: Usage(promptTokens: summary.promptTokens, completionTokens: summary.completionTokens))
            }
        }
        if !stream {
            return try await runJSON(context) {
                let (text, summary) = try await self.collect(query)
                return CompletionResponse(
                    id: id, created: created, model: model,
                    choices: [CompletionChoice(text: text, finishReason: summary.finishReason)],
                    usage: Usage(promptTokens: summary.promptTokens, completionTokens: summary.completionTokens))
            }
        }
        let (first, rest, producer) = try await openStream(query, context: context)
        let firstEvent = try await first.value()

        let body = ResponseBody { writer in
            defer { producer.cancel() }
            func chunk(_ delta: String?, finish: FinishReason?, role: Bool = false, usage: Usage? = nil,
                       noChoices: Bool = false) -> ByteBuffer {
                if chat {
                    let choices = noChoices ? [] : [ChatChoice(delta: ChatDelta(role: role ? "assistant" : nil, content: delta),
                                                               finishReason: finish)]
                    return Self.sse(ChatCompletionResponse(id: id, object: "chat.completion.chunk", created: created,
                                                           model: model, choices: choices, usage: usage))
                }
                let choices = noChoices ? [] : [CompletionChoice(text: delta ?? "", finishReason: finish)]
                return Self.sse(CompletionResponse(id: id, created: created, model: model, choices: choices, usage: usage))
            }
            if chat { try await writer.write(chunk("", finish: nil, role: true)) }
            var pending = firstEvent.map { [$0] } ?? []
            var iterator = rest.makeAsyncIterator()
            do {
                while true {
                    let event: GenerationEvent
                    if !pending.isEmpty { event = pending.removeFirst() } else {
                        guard let next = try await iterator.next() else { break }
                        event = next
                    }
                    switch event {
                    case .text(let delta):
                        try await writer.write(chunk(delta, finish: nil))
                    case .finished(let summary):
                        try await writer.write(chunk(chat ? nil : "", finish: summary.finishReason))
                        if includeUsage {
                            let usage = Usage(promptTokens: summary.promptTokens, completionTokens: summary.completionTokens)
                            try await writer.write(chunk(nil, finish: nil, usage: usage, noChoices: true))
                        }
                    }
                }
            } catch {
                // The head is sent already: report the error as a last event.
                try await writer.write(Self.sse(APIErrorBody(APIError.from(error))))
            }
            try await writer.write(ByteBuffer(string: "data: [DONE]\n\n"))
            try await writer.finish(nil)
        }
        return Response(status: .ok,
                        headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"],
                        body: body)
    }

    /// Starts a generation for streaming: takes a slot, then pumps the backend's events under the
    /// deadline. The first event (or the error before it) arrives through `first`, so request
    /// errors still get a 4xx head; the rest flow through `rest`. The producer task owns the slot
    /// and is cancelled when the client disconnects or the response body stops.
    func openStream(_ query: GenerationQuery, context: TrellisRequestContext) async throws
        -> (first: OneShot<GenerationEvent?>, rest: AsyncThrowingStream<GenerationEvent, any Error>, producer: Task<Void, Never>) {
        try await connections.cancellingOnClose(context.channelID) { try await self.admission.acquire() }
        let first = OneShot<GenerationEvent?>()
        let (rest, continuation) = AsyncThrowingStream<GenerationEvent, any Error>.makeStream()
        let deadline = ContinuousClock.now + .milliseconds(limits.requestTimeoutMilliseconds)
        let timeout = limits.requestTimeoutMilliseconds
        let producer = Task {
            defer { self.admission.release() }
            let started = ContinuousClock.now
            do {
                try await withDeadline(deadline, limitMilliseconds: timeout, on: context.eventLoop) {
                    for try await event in self.backend.generate(query) {
                        if case .finished(let s) = event {
                            self.metrics.recordGeneration(promptTokens: s.promptTokens, generatedTokens: s.completionTokens,
                                                          seconds: (ContinuousClock.now - started).seconds)
                        }
                        if !first.fulfill(.success(event)) { continuation.yield(event) }
                    }
                    try Task.checkCancellation()
                    first.fulfill(.success(nil))
                    continuation.finish()
                }
            } catch {
                // Before the first event the handler answers the error (and the middleware counts
                // it); after it, only this task knows the stream was cut short.
                if !first.fulfill(.failure(error)),
                   error is CancellationError || (error as? APIError)?.status == 408 {
                    self.metrics.recordCancellation()
                }
                continuation.finish(throwing: error)
            }
        }
        if let key = connections.onClose(context.channelID, { producer.cancel() }) {
            // Drop the callback once the producer is done, so long-lived connections do not collect them.
            let connections = self.connections, channelID = context.channelID
            Task {
                await producer.value
                connections.cancel(channelID, key: key)
            }
        }
        return (first, rest, producer)
    }

    static func sse(_ value: some Encodable) -> ByteBuffer {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        var buffer = ByteBuffer(string: "data: ")
        buffer.writeBytes((try? encoder.encode(value)) ?? Data("{}".utf8))
        buffer.writeString("\n\n")
        return buffer
    }
}
