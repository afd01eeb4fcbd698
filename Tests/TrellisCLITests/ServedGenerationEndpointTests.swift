import Foundation
import TrellisCore
import TrellisDecoding
import TrellisFMIndex
import TrellisServer
import TrellisTestSupport
import TrellisTrie
import XCTest
@testable import TrellisCLI

/// A backend that generates exactly as `EngineBackend` does (through `ServedGeneration` and a
/// `BatchingModel`), over a `ToyModel`, byte tokens, a small name trie and a small corpus.
private final class ToyServedBackend: TrellisBackend, @unchecked Sendable {
    let batching: BatchingModel
    let generation: ServedGeneration
    let tokenizer = ByteTokenizer()

    init(names: [String]?, corpus: [String]?) throws {
        batching = BatchingModel(wrapping: ToyModel(vocabularySize: 258, contextLength: 512, salt: 3))
        let newline: TokenID = 10
        let tokenizer = ByteTokenizer()
        var trie: PrefixTrieOverlayConstraint?
        if let names {
            var builder = PrefixTrieBuilder()
            for (i, name) in names.enumerated() { builder.insert(tokenizer.encode(" " + name) + [newline], payload: UInt32(i)) }
            trie = PrefixTrieOverlayConstraint(overlay: try PrefixTrieOverlay(base: try builder.freeze()))
        }
        let index = try corpus.map { passages in try FMIndex(passages: passages.map { tokenizer.encode($0) }) }
        generation = ServedGeneration(tokenizer: tokenizer, stopTokens: [257], names: trie, nameEndToken: newline, corpus: index)
    }

    var info: BackendInfo { BackendInfo(modelName: "toy", contextLength: 512, canLink: false, canSearch: false) }

    private func tokens(_ prompt: GenerationQuery.Prompt) -> [TokenID] {
        switch prompt {
        case .text(let t): return tokenizer.encode(t)
        case .chat(let messages): return tokenizer.encode(messages.map(\.content).joined(separator: "\n"))
        }
    }

    func tokenCount(of prompt: GenerationQuery.Prompt) throws -> Int { tokens(prompt).count }
    func link(_ query: LinkQuery) async throws -> LinkResponse { throw BackendError.unavailable("no linking in this test") }
    func search(_ query: SearchQuery) async throws -> SearchResponse { throw BackendError.unavailable("no search in this test") }

    func generate(_ query: GenerationQuery) -> AsyncThrowingStream<GenerationEvent, any Error> {
        AsyncThrowingStream { continuation in
            let task = Task {
                do {
                    let prompt = tokens(query.prompt)
                    let sampler = Sampler(temperature: Float(query.sampling.temperature), topK: query.sampling.topK,
                                          topP: Float(query.sampling.topP), seed: query.sampling.seed ?? 0)
                    let generation = self.generation
                    let plan = try generation.plan(query.constraint, maxTokens: query.maxTokens)
                    let summary = try await batching.runOnDedicatedThread { client in
                        try generation.run(plan, prompt: prompt, maxTokens: query.maxTokens, sampler: sampler, model: client,
                                           stopStrings: query.stop) { continuation.yield(.text($0)) }
                    }
                    continuation.yield(.finished(summary))
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: EngineBackend.mapped(error))
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }
}

/// A real server on loopback over `ToyServedBackend`.
private final class ToyServer {
    let running: RunningTrellisServer
    let connection: LoopbackHTTPConnection

    init(_ backend: ToyServedBackend) throws {
        let server = try TrellisHTTPServer(backend: backend)
        running = try blockingAwait("server start") { try await server.start(host: "127.0.0.1", port: 0) }
        connection = try LoopbackHTTPConnection(port: running.port, timeout: 30)
    }

    func post(_ path: String, _ json: String) throws -> (status: Int, body: [String: Any]) {
        let response = try connection.send(method: "POST", path: path, body: Array(json.utf8))
        let body = (try? JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any] ?? [:]
        return (response.status, body)
    }

    func stop() {
        connection.close()
        let running = self.running
        _ = try? blockingAwait("server shutdown") { await running.shutdown() }
    }
}

final class ServedGenerationEndpointTests: XCTestCase {
    static let names = ["Paris", "Paris Hilton", "Jordan", "Jordan River", "Michael Jordan", "Queen", "Mercury"]
    static let corpus = ["the quick brown fox jumps over the lazy dog",
                         "a trellis supports climbing plants in the garden",
                         "with statements call __exit__ when the block ends"]

    func testChoicesGiveExactlyOneChoice() throws {
        let server = try ToyServer(try ToyServedBackend(names: nil, corpus: nil))
        defer { server.stop() }
        let choices = ["yes", "no", "maybe", "yes please"]
        var seen = Set<String>()
        for seed in 0..<12 {
            let (status, body) = try server.post("/v1/generate", """
                {"prompt": "Question \(seed)? Answer:", "temperature": 1.0, "seed": \(seed), "max_tokens": 12,
                 "constraint": {"choices": ["yes", "no", "maybe", "yes please"]}}
                """)
            XCTAssertEqual(status, 200, "\(body)")
            let text = body["text"] as? String ?? "<none>"
            XCTAssertTrue(choices.contains(text), "`\(text)` is not a choice")
            XCTAssertEqual(body["constraint_satisfied"] as? Bool, true)
            XCTAssertEqual(body["finish_reason"] as? String, "stop")
            seen.insert(text)
        }
        XCTAssertGreaterThan(seen.count, 1, "sampling should reach more than one choice")
        // max_tokens drops the choices that do not fit; none fitting is impossible (422).
        let short = try server.post("/v1/generate", #"{"prompt": "Q", "max_tokens": 3, "constraint": {"choices": ["maybe", "no", "yes please"]}}"#)
        XCTAssertEqual(short.body["text"] as? String, "no")
        let none = try server.post("/v1/generate", #"{"prompt": "Q", "max_tokens": 3, "constraint": {"choices": ["maybe", "yes please"]}}"#)
        XCTAssertEqual(none.status, 422)
        // The OpenAI endpoint takes the same constraint in its extension field.
        let completion = try server.post("/v1/completions", #"{"prompt": "Q", "max_tokens": 8, "trellis": {"constraint": {"choices": ["red", "green"]}}}"#)
        XCTAssertEqual(completion.status, 200)
        let text = ((completion.body["choices"] as? [[String: Any]])?.first?["text"]) as? String
        XCTAssertTrue(["red", "green"].contains(text ?? "<none>"), "\(completion.body)")
    }

    /// A word-count DFA decides when the output may end: EOS is masked until min_words words
    /// exist, and the reported satisfaction reads the end token that stopped generation.
    func testMinWordsHoldsOffTheEndToken() throws {
        let server = try ToyServer(try ToyServedBackend(names: nil, corpus: nil))
        defer { server.stop() }
        for seed in 0..<6 {
            let (status, body) = try server.post("/v1/generate", """
                {"prompt": "Say \(seed):", "temperature": 1.0, "seed": \(seed), "max_tokens": 40,
                 "constraint": {"min_words": 3, "max_words": 5}}
                """)
            XCTAssertEqual(status, 200, "\(body)")
            let text = body["text"] as? String ?? ""
            XCTAssertEqual(body["finish_reason"] as? String, "stop", "seed \(seed): `\(text)`")
            XCTAssertEqual(body["constraint_satisfied"] as? Bool, true, "seed \(seed): `\(text)`")
            XCTAssertFalse(text.isEmpty, "seed \(seed): three words cannot be empty")
        }
    }

    func testRegexConstraintMatchesTheWholeOutput() throws {
        let server = try ToyServer(try ToyServedBackend(names: nil, corpus: nil))
        defer { server.stop() }
        let pattern = "(yes|no), [a-z]{2,6}\\."
        let icu = try NSRegularExpression(pattern: "\\A(?:" + pattern + ")\\z")
        for seed in 0..<8 {
            let (status, body) = try server.post("/v1/generate", """
                {"prompt": "Answer \(seed):", "temperature": 1.0, "seed": \(seed), "max_tokens": 16, "constraint": {"regex": "\(pattern.replacingOccurrences(of: "\\", with: "\\\\"))"}}
                """)
            XCTAssertEqual(status, 200, "\(body)")
            let text = body["text"] as? String ?? "<none>"
            XCTAssertNotNil(icu.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)), "seed \(seed): `\(text)`")
            XCTAssertEqual(body["constraint_satisfied"] as? Bool, true)
        }
        let bad = try server.post("/v1/generate", #"{"prompt": "Q", "constraint": {"regex": "(unclosed"}}"#)
        XCTAssertEqual(bad.status, 400, "\(bad.body)")
        XCTAssertTrue("\(bad.body)".contains("offset"), "\(bad.body)")
    }

    /// `response_format` (OpenAI) and `json_schema` (Trellis) make the output parse and validate.
    func testJSONSchemaOutputsParseAndValidate() throws {
        let server = try ToyServer(try ToyServedBackend(names: nil, corpus: nil))
        defer { server.stop() }
        let schema = #"{"type": "object", "properties": {"city": {"type": "string", "maxLength": 6}, "rank": {"type": "integer", "minimum": 1}}, "required": ["city", "rank"]}"#
        for seed in 0..<6 {
            let (status, body) = try server.post("/v1/chat/completions", """
                {"messages": [{"role": "user", "content": "City \(seed)?"}], "max_tokens": 40, "temperature": 1, "seed": \(seed),
                 "response_format": {"type": "json_schema", "json_schema": {"name": "city", "schema": \(schema)}}}
                """)
            XCTAssertEqual(status, 200, "\(body)")
            let content = (((body["choices"] as? [[String: Any]])?.first?["message"]) as? [String: Any])?["content"] as? String ?? ""
            let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(content.utf8)) as? [String: Any], "seed \(seed): `\(content)`")
            XCTAssertLessThanOrEqual((object["city"] as? String)?.count ?? 99, 6, content)
            XCTAssertGreaterThanOrEqual((object["rank"] as? Int) ?? 0, 1, content)
        }
        let plain = try server.post("/v1/generate", #"{"prompt": "Q", "max_tokens": 30, "constraint": {"json_schema": {"enum": ["red", 7, null]}}}"#)
        XCTAssertTrue(["\"red\"", "7", "null"].contains(plain.body["text"] as? String ?? "<none>"), "\(plain.body)")
        let object = try server.post("/v1/chat/completions", #"{"messages": [{"role": "user", "content": "x"}], "max_tokens": 30, "response_format": {"type": "json_object"}}"#)
        let content = (((object.body["choices"] as? [[String: Any]])?.first?["message"]) as? [String: Any])?["content"] as? String ?? ""
        XCTAssertNotNil(try? JSONSerialization.jsonObject(with: Data(content.utf8)) as? [String: Any], "`\(content)`")
        let unsupported = try server.post("/v1/generate", #"{"prompt": "Q", "constraint": {"json_schema": {"type": "string", "uniqueItems": true}}}"#)
        XCTAssertEqual(unsupported.status, 400, "\(unsupported.body)")
        XCTAssertTrue("\(unsupported.body)".contains("uniqueItems"), "\(unsupported.body)")
    }

    func testKBEntityGivesAKnowledgeBaseName() throws {
        let server = try ToyServer(try ToyServedBackend(names: Self.names, corpus: nil))
        defer { server.stop() }
        var seen = Set<String>()
        for seed in 0..<12 {
            let (status, body) = try server.post("/v1/generate", """
                {"prompt": "Who is it, \(seed)?", "temperature": 1.0, "seed": \(seed), "max_tokens": 20, "constraint": {"kb_entity": true}}
                """)
            XCTAssertEqual(status, 200, "\(body)")
            let text = body["text"] as? String ?? "<none>"
            XCTAssertTrue(Self.names.contains(text), "`\(text)` is not a KB name")
            XCTAssertEqual(body["constraint_satisfied"] as? Bool, true)
            seen.insert(text)
        }
        XCTAssertGreaterThan(seen.count, 1)
        let chat = try server.post("/v1/chat/completions", """
            {"messages": [{"role": "user", "content": "Name a city."}], "max_tokens": 20, "trellis": {"constraint": {"kb_entity": true}}}
            """)
        XCTAssertEqual(chat.status, 200)
        let content = (((chat.body["choices"] as? [[String: Any]])?.first?["message"]) as? [String: Any])?["content"] as? String
        XCTAssertTrue(Self.names.contains(content ?? "<none>"), "\(chat.body)")
    }

    func testCorpusNgramOccursInTheCorpus() throws {
        let server = try ToyServer(try ToyServedBackend(names: nil, corpus: Self.corpus))
        defer { server.stop() }
        for seed in 0..<12 {
            let limit = 3 + seed % 10
            let (status, body) = try server.post("/v1/generate", """
                {"prompt": "Quote \(seed):", "temperature": 1.0, "seed": \(seed), "max_tokens": 40, "constraint": {"corpus_ngram": {"max_tokens": \(limit)}}}
                """)
            XCTAssertEqual(status, 200, "\(body)")
            let text = body["text"] as? String ?? ""
            XCTAssertFalse(text.isEmpty)
            XCTAssertLessThanOrEqual(text.utf8.count, limit)
            XCTAssertTrue(Self.corpus.contains { $0.contains(text) }, "`\(text)` does not occur in the corpus")
        }
        // `true` bounds the n-gram by max_tokens alone.
        let (status, body) = try server.post("/v1/generate", #"{"prompt": "Q", "max_tokens": 6, "constraint": {"corpus_ngram": true}}"#)
        XCTAssertEqual(status, 200)
        let text = body["text"] as? String ?? ""
        XCTAssertEqual(text.utf8.count, 6)
        XCTAssertTrue(Self.corpus.contains { $0.contains(text) }, "`\(text)` does not occur in the corpus")
    }

    func testConstraintsNeedingMissingStorePartsAre400() throws {
        let server = try ToyServer(try ToyServedBackend(names: nil, corpus: nil))
        defer { server.stop() }
        for (constraint, word) in [(#"{"kb_entity": true}"#, "knowledge base"), (#"{"corpus_ngram": {"max_tokens": 4}}"#, "corpus")] {
            let (status, body) = try server.post("/v1/generate", #"{"prompt": "Q", "constraint": \#(constraint)}"#)
            XCTAssertEqual(status, 400)
            let error = body["error"] as? [String: Any] ?? [:]
            XCTAssertEqual(error["type"] as? String, "missing_index")
            XCTAssertTrue((error["message"] as? String ?? "").contains(word), "\(error)")
        }
        let bad = try server.post("/v1/generate", #"{"prompt": "Q", "constraint": {"corpus_ngram": {"max_tokens": 0}}}"#)
        XCTAssertEqual(bad.status, 400)
        let unknown = try server.post("/v1/generate", #"{"prompt": "Q", "constraint": {"corpus_ngram": {"max_token": 3}}}"#)
        XCTAssertEqual(unknown.status, 400)
    }
}
