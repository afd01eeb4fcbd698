import Foundation
@testable import TrellisServer

/// A deterministic `TrellisBackend` for the server tests. Tokens are whitespace-separated words.
/// Magic words steer it: `__slow__` makes link, search or generate take `slowSeconds` (in
/// cancellable sleeps), `__impossible__` makes generate throw an impossible-constraint error
/// before the first token, `__fail_midstream__` throws after two tokens. It counts work started,
/// work running and work cancelled, so tests can see cancellation reach the backend.
final class FakeBackend: TrellisBackend, @unchecked Sendable {
    let info: BackendInfo
    let slowSeconds: Double
    let tokenDelay: Double
    private let lock = NSLock()
    private var _started = 0
    private var _active = 0
    private var _cancelled = 0

    init(contextLength: Int = 256, slowSeconds: Double = 30, tokenDelay: Double = 0) {
        self.info = BackendInfo(modelName: "fake-model", contextLength: contextLength)
        self.slowSeconds = slowSeconds
        self.tokenDelay = tokenDelay
    }

    var started: Int { lock.withLock { _started } }
    var active: Int { lock.withLock { _active } }
    var cancelled: Int { lock.withLock { _cancelled } }

    var statistics: BackendStatistics { BackendStatistics(batchQueueDepth: active, batchedForwardPasses: started) }

    func tokenCount(of prompt: GenerationQuery.Prompt) throws -> Int {
        switch prompt {
        case .text(let text): return Self.words(text).count
        case .chat(let messages): return messages.reduce(0) { $0 + 3 + Self.words($1.content).count }
        }
    }

    static func words(_ text: String) -> [Substring] { text.split(whereSeparator: \.isWhitespace) }

    /// Runs `body` counted as backend work; a cancellation seen inside is counted.
    private func work<T>(slow: Bool, _ body: () async throws -> T) async throws -> T {
        lock.withLock { _started += 1; _active += 1 }
        defer { lock.withLock { _active -= 1 } }
        do {
            if slow { try await Task.sleep(for: .seconds(slowSeconds)) }
            return try await body()
        } catch is CancellationError {
            lock.withLock { _cancelled += 1 }
            throw CancellationError()
        }
    }

    func link(_ query: LinkQuery) async throws -> LinkResponse {
        try await work(slow: query.text.contains("__slow__")) {
            let scalars = Array(query.text.unicodeScalars)
            let spans: [MentionSpan]
            switch query.mode {
            case .mentions(let given): spans = given
            case .endToEnd:
                // Capitalized words are the mentions.
                var found: [MentionSpan] = []
                var i = 0
                while i < scalars.count {
                    if CharacterSet.uppercaseLetters.contains(scalars[i]) && (i == 0 || scalars[i - 1] == " ") {
                        var j = i
                        while j < scalars.count && CharacterSet.letters.contains(scalars[j]) { j += 1 }
                        found.append(MentionSpan(start: i, end: j))
                        i = j
                    } else {
                        i += 1
                    }
                }
                spans = found
            }
            let mentions = spans.map { span -> LinkedMention in
                var surface = String.UnicodeScalarView()
                surface.append(contentsOf: scalars[span.start..<span.end])
                let name = String(surface)
                let entities = (0..<query.topK).map { rank in
                    LinkedEntity(key: "Q\(abs(name.hashValue % 1000) * 10 + rank)", name: rank == 0 ? name : "\(name) (\(rank))",
                                 score: -Double(rank) - 0.5, description: query.candidatesOnly ? "candidate" : nil)
                }
                // With allow_nil, names starting "Zz" are out of the KB: NIL.
                if query.allowNil && name.hasPrefix("Zz") {
                    return LinkedMention(start: span.start, end: span.end, surface: name, entities: [], entity: .some(nil))
                }
                return LinkedMention(start: span.start, end: span.end, surface: name, entities: entities)
            }
            return LinkResponse(text: query.text, mentions: mentions)
        }
    }

    func search(_ query: SearchQuery) async throws -> SearchResponse {
        try await work(slow: query.query.contains("__slow__")) {
            let hits = (0..<query.topK).map { i in
                SearchHit(id: "p\(i)", title: "Passage \(i)", text: "passage \(i) about \(query.query)",
                          score: 10 - Double(i),
                          ngrams: query.mode == .bm25 ? nil : [MatchedNgram(text: String(Self.words(query.query).first ?? ""), score: 1.5)])
            }
            return SearchResponse(mode: query.mode, results: hits)
        }
    }

    /// The words generate produces for `query` (the reference for the tests).
    static func expectedWords(_ query: GenerationQuery) -> [String] {
        if let choices = query.constraint?.choices, !choices.isEmpty {
            return [choices[Int((query.sampling.seed ?? 0) % UInt64(choices.count))]]
        }
        if let keywords = query.constraint?.keywords, !keywords.isEmpty {
            return Array(keywords.map { $0.alternatives[0] }.prefix(query.maxTokens))
        }
        return (0..<query.maxTokens).map { "w\($0)" }
    }

    func generate(_ query: GenerationQuery) -> AsyncThrowingStream<GenerationEvent, any Error> {
        let promptText: String
        switch query.prompt {
        case .text(let text): promptText = text
        case .chat(let messages): promptText = messages.map(\.content).joined(separator: " ")
        }
        let promptTokens = (try? tokenCount(of: query.prompt)) ?? 0
        return AsyncThrowingStream { continuation in
            let task = Task {
                do {
                    try await self.work(slow: promptText.contains("__slow__")) {
                        if promptText.contains("__impossible__") {
                            throw BackendError.impossibleConstraint("no output can satisfy __impossible__")
                        }
                        let words = Self.expectedWords(query)
                        for (i, word) in words.enumerated() {
                            if self.tokenDelay > 0 { try await Task.sleep(for: .seconds(self.tokenDelay)) }
                            try Task.checkCancellation()
                            if i == 2 && promptText.contains("__fail_midstream__") {
                                throw BackendError.invalidRequest("failed in the middle on purpose")
                            }
                            continuation.yield(.text(i == 0 ? word : " " + word))
                        }
                        let finish: FinishReason = query.constraint == nil ? .length : .stop
                        continuation.yield(.finished(GenerationSummary(
                            finishReason: finish, promptTokens: promptTokens, completionTokens: words.count,
                            constraintSatisfied: query.constraint == nil ? nil : true)))
                    }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }
}
