import Foundation
import TrellisCore
import TrellisDecoding
@testable import TrellisServer
import TrellisTestSupport

/// A backend shaped like the real engine's generate path: each request runs a greedy decode loop
/// on its own thread through one shared `BatchingModel` over a `FakeCountingModel`, so
/// concurrent HTTP requests share batched forward passes. Prompt words map to token ids; each
/// generated token is streamed as ` t<id>`.
final class BatchedModelBackend: TrellisBackend, @unchecked Sendable {
    let base: FakeCountingModel
    let batching: BatchingModel
    let info: BackendInfo

    init(delayPerCall: TimeInterval = 0.002) {
        base = FakeCountingModel(vocabularySize: 97, contextLength: 4096, delayPerCall: delayPerCall)
        batching = BatchingModel(wrapping: base, limits: .init(maxBatchRows: 64, maxQueuedRequests: 256))
        info = BackendInfo(modelName: "fake-batched", contextLength: 4096, canLink: false, canSearch: false)
    }

    var statistics: BackendStatistics {
        let s = batching.statistics
        return BackendStatistics(batchQueueDepth: s.queuedCalls, batchedForwardPasses: s.underlyingCalls, batchedRows: s.rows,
                                 largestBatchRows: s.largestBatchRows, completedSteps: s.completedCalls,
                                 busySeconds: s.busySeconds)
    }

    static func promptTokens(_ prompt: GenerationQuery.Prompt) -> [TokenID] {
        let text: String
        switch prompt {
        case .text(let t): text = t
        case .chat(let messages): text = messages.map(\.content).joined(separator: " ")
        }
        let tokens = text.split(separator: " ").map { word in
            TokenID(word.unicodeScalars.reduce(UInt32(7)) { ($0 &* 31 &+ $1.value) % 97 })
        }
        return tokens.isEmpty ? [0] : tokens
    }

    func tokenCount(of prompt: GenerationQuery.Prompt) throws -> Int { Self.promptTokens(prompt).count }

    func link(_ query: LinkQuery) async throws -> LinkResponse { throw BackendError.unavailable("no knowledge base loaded") }
    func search(_ query: SearchQuery) async throws -> SearchResponse { throw BackendError.unavailable("no passage index loaded") }

    func generate(_ query: GenerationQuery) -> AsyncThrowingStream<GenerationEvent, any Error> {
        let prompt = Self.promptTokens(query.prompt)
        let batching = self.batching
        return AsyncThrowingStream { continuation in
            let task = Task {
                do {
                    let generated = try await batching.runOnDedicatedThread { client in
                        let sequence = try client.makeSequence()
                        let logits = LogitMatrix(rows: 1, width: client.vocabularySize)
                        var pending = prompt
                        var count = 0
                        for _ in 0..<query.maxTokens {
                            try client.extend([SequenceExtension(sequence: sequence, tokens: pending)], logits: logits)
                            let row = logits.row(0)
                            var best = 0
                            for v in 0..<row.count where row[v] > row[best] { best = v }
                            pending = [TokenID(best)]
                            count += 1
                            continuation.yield(.text(" t\(best)"))
                        }
                        return count
                    }
                    continuation.yield(.finished(GenerationSummary(finishReason: .length, promptTokens: prompt.count,
                                                                   completionTokens: generated)))
                    continuation.finish()
                } catch BatchingError.cancelled {
                    continuation.finish(throwing: CancellationError())
                } catch BatchingError.queueFull(let limit) {
                    continuation.finish(throwing: BackendError.overloaded("model batch queue is full (\(limit))"))
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }
}
