import Foundation
import TrellisAutomata
import TrellisCore
import TrellisDecoding
import TrellisEngine
import TrellisLinking
import TrellisSearch
import TrellisServer
import TrellisStore
import TrellisTokenizer

/// The real engine behind the HTTP API: one model wrapped in a `BatchingModel`, so concurrent
/// requests' decode steps share forward passes; each request's blocking decode loop runs on its
/// own thread through `runOnDedicatedThread`.
final class EngineBackend: TrellisBackend, @unchecked Sendable {
    let engine: Engine
    let batching: BatchingModel
    let store: TrellisStore?
    let names: NameTrieIndex?
    let passages: PassageIndex?
    let linkEndToken: TokenID
    /// Constraint building and the decode loop of `generate`.
    let generation: ServedGeneration
    /// Surfaces end-to-end linking may mark: the store's mention table, else KB names.
    let mentionTable: StoreOrNameMentionTable?

    init(engine: Engine, workspace: Workspace?, batchLimits: BatchingModel.Limits = .init()) throws {
        self.engine = engine
        batching = BatchingModel(wrapping: engine.model, limits: batchLimits)
        linkEndToken = EntityLinker.endToken(for: engine.tokenizer)
        if let workspace, FileManager.default.fileExists(atPath: workspace.storePath) {
            let store = try workspace.openStore()
            self.store = store
            let counts = try store.counts()
            if counts.names > 0 {
                try NameTrieIndex.tokenizeNames(store: store, tokenizer: engine.tokenizer, fingerprint: engine.tokenizer.fingerprint)
                names = try NameTrieIndex.open(store: store, path: workspace.namesTriePath, endToken: linkEndToken)
                mentionTable = try StoreOrNameMentionTable(store: store)
            } else {
                names = nil
                mentionTable = nil
            }
            if counts.passages > 0 {
                try PassageIndex.tokenizePassages(store: store, tokenizer: engine.tokenizer, fingerprint: engine.tokenizer.fingerprint)
                passages = try PassageIndex.open(store: store, path: workspace.passagesIndexPath)
            } else {
                passages = nil
            }
        } else {
            store = nil
            names = nil
            mentionTable = nil
            passages = nil
        }
        generation = ServedGeneration(tokenizer: engine.tokenizer, stopTokens: engine.stopTokens, names: names?.constraint,
                                      nameEndToken: linkEndToken, corpus: passages?.fmIndex)
    }

    var info: BackendInfo {
        BackendInfo(modelName: (engine.modelPath as NSString).lastPathComponent, contextLength: engine.model.contextLength,
                    canLink: names != nil, canSearch: passages != nil, canGenerate: true)
    }

    func tokenCount(of prompt: GenerationQuery.Prompt) throws -> Int { try promptTokens(prompt).count }

    private func promptTokens(_ prompt: GenerationQuery.Prompt) throws -> [TokenID] {
        switch prompt {
        case .text(let text):
            return try engine.promptTokens(text, chat: false)
        case .chat(let messages):
            let rendered = try engine.tokenizer.chatTemplate().render(messages.map { TrellisTokenizer.ChatMessage(role: $0.role, content: $0.content) })
            return engine.tokenizer.encode(rendered, parseSpecial: true)
        }
    }

    func link(_ query: LinkQuery) async throws -> LinkResponse {
        guard let store, let names else { throw BackendError.unavailable("no knowledge base loaded; start the server with --store after `trellis kb import`") }
        guard case .mentions(let mentions) = query.mode else { return try await linkEndToEnd(query, store: store) }
        let offsets = TextOffsets(query.text)
        let spans = try mentions.map { m -> TrellisLinking.MentionSpan in
            guard let span = offsets.characterSpan(start: m.start, end: m.end) else {
                throw BackendError.invalidRequest("mention \(m.start)..<\(m.end) is outside the text")
            }
            return span
        }
        let tokenizer = engine.tokenizer, end = linkEndToken, text = query.text
        var linkOptions = LinkingOptions()
        linkOptions.beamSize = query.beam
        linkOptions.allowNil = query.allowNil
        let options = linkOptions
        let ranked = try await batching.runOnDedicatedThread { client in
            let linker = EntityLinker(store: store, tokenizer: tokenizer, model: client, names: names, endToken: end, options: options)
            return try linker.link(text: text, spans: spans, candidatesOnly: query.candidatesOnly, topK: query.topK)
        }
        let chars = Array(text)
        let out = zip(spans, ranked).map { LinkedMention(span: $0, in: chars, offsets: offsets, ranked: $1) }
        return LinkResponse(text: text, mentions: out)
    }

    /// `end_to_end`: the model finds the mentions (spans the mention table knows) and links them.
    /// Offsets go out in code points, as the API counts them.
    private func linkEndToEnd(_ query: LinkQuery, store: TrellisStore) async throws -> LinkResponse {
        let tokenizer = engine.tokenizer, end = linkEndToken, text = query.text, table = mentionTable
        var options = EndToEndOptions()
        options.beamSize = query.beam
        options.allowNil = query.allowNil
        let e2eOptions = options
        let result = try await batching.runOnDedicatedThread { client in
            let linker = try EndToEndLinker(store: store, tokenizer: tokenizer, model: client, mentionTable: table,
                                            endToken: end, options: e2eOptions)
            return try linker.link(text: text)
        }
        let offsets = TextOffsets(text)
        let mentions = result.mentions.map { LinkedMention(endToEnd: $0, offsets: offsets) }
        return LinkResponse(text: text, mentions: mentions)
    }

    func search(_ query: SearchQuery) async throws -> SearchResponse {
        guard let store, let passages else { throw BackendError.unavailable("no passages loaded; start the server with --store after `trellis corpus import`") }
        let tokenizer = engine.tokenizer
        let hits: [TrellisSearch.SearchHit]
        var ngramsByPassage: [PassageID: [MatchedNgram]] = [:]
        switch query.mode {
        case .bm25:
            hits = try store.bm25Search(query: query.query, limit: query.topK).map(TrellisSearch.SearchHit.init)
        case .seal, .hybrid:
            let (found, ngrams) = try await batching.runOnDedicatedThread { client in
                let seal = SEALSearcher(index: passages, store: store, model: client, tokenizer: tokenizer)
                if query.mode == .seal {
                    let r = try seal.search(query.query, limit: query.topK)
                    return (r.hits, r.ngrams)
                }
                let r = try HybridSearcher(seal: seal).search(query.query, limit: query.topK)
                return (r.hits, r.ngrams)
            }
            hits = found
            for h in hits {
                ngramsByPassage[h.passageID] = h.matches.compactMap { m in
                    m.ngram < ngrams.count ? MatchedNgram(text: tokenizer.decode(ngrams[m.ngram].tokens), score: ngrams[m.ngram].weight) : nil
                }
            }
        }
        let records = Dictionary(uniqueKeysWithValues: try store.passages(ids: hits.map(\.passageID)).map { ($0.id, $0) })
        return SearchResponse(mode: query.mode, results: hits.compactMap { h in
            guard let r = records[h.passageID] else { return nil }
            return TrellisServer.SearchHit(id: r.key, title: r.title, text: r.text, score: h.score, ngrams: ngramsByPassage[h.passageID])
        })
    }

    func generate(_ query: GenerationQuery) -> AsyncThrowingStream<GenerationEvent, any Error> {
        AsyncThrowingStream { continuation in
            let task = Task {
                do {
                    let prompt = try promptTokens(query.prompt)
                    let sampler = Sampler(temperature: Float(query.sampling.temperature), topK: query.sampling.topK,
                                          topP: Float(query.sampling.topP), seed: query.sampling.seed ?? 0)
                    let generation = self.generation
                    let plan = try generation.plan(query.constraint, maxTokens: query.maxTokens)
                    let summary = try await batching.runOnDedicatedThread { client -> GenerationSummary in
                        try generation.run(plan, prompt: prompt, maxTokens: query.maxTokens, sampler: sampler, model: client,
                                           stopStrings: query.stop) { continuation.yield(.text($0)) }
                    }
                    continuation.yield(.finished(summary))
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: Self.mapped(error))
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    /// The batcher's counters, for `/metrics`.
    var statistics: BackendStatistics {
        let s = batching.statistics
        // Read under the batcher's model lock: the cache changes during a pass.
        let cache = batching.inspectWrappedModel { _ in engine.model.cacheUsage }
        return BackendStatistics(batchQueueDepth: s.queuedCalls, batchedForwardPasses: s.underlyingCalls, batchedRows: s.rows,
                                 largestBatchRows: s.largestBatchRows, completedSteps: s.completedCalls,
                                 busySeconds: s.busySeconds, cachePagesInUse: cache.pagesInUse,
                                 cachePagesAllocated: cache.pagesAllocated, cacheBytes: cache.bytes)
    }

    static func mapped(_ error: any Error) -> any Error {
        if error is BackendError || error is CancellationError { return error }
        if let b = error as? BatchingError {
            switch b {
            case .queueFull: return BackendError.overloaded("the batch queue is full")
            case .cancelled: return CancellationError()
            default: return BackendError.invalidRequest("\(b)")
            }
        }
        if let t = error as? TrellisError, case .limitExceeded(let what, let limit, let got) = t {
            return BackendError.limitExceeded(bound: what, limit: limit, got: got)
        }
        if let l = error as? LinkingError { return BackendError.invalidRequest(l.description) }
        return BackendError.invalidRequest("\(error)")
    }
}
