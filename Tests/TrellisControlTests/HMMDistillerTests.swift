import TrellisControl
import TrellisCore
import TrellisHMM
import TrellisStore
import TrellisTestSupport
import XCTest

final class HMMDistillerTests: XCTestCase {
    let end: TokenID = 257

    func sample(count: Int, length: Int, seed: UInt64 = 7) throws -> [TokenID] {
        let model = ToyModel(vocabularySize: 258)
        let sampler = DistillationSampler(length: length, batchSize: 6, forksPerPrompt: 3, endTokens: [end], padToken: end)
        let tokens = try sampler.sample(model: model, prompts: [[1, 2], [3]], count: count, seed: seed)
        XCTAssertEqual(model.liveSequences, 0, "every sequence released")
        return tokens
    }

    func testSamplerShapesPaddingAndDeterminism() throws {
        let tokens = try sample(count: 20, length: 8)
        XCTAssertEqual(tokens.count, 160)
        XCTAssertTrue(tokens.allSatisfy { $0 >= 0 && $0 < 258 })
        XCTAssertEqual(tokens, try sample(count: 20, length: 8))
        XCTAssertNotEqual(tokens, try sample(count: 20, length: 8, seed: 8))
        for row in 0..<20 {
            let s = tokens[(row * 8)..<(row * 8 + 8)]
            if let first = s.firstIndex(of: end) { XCTAssertTrue(s[first...].allSatisfy { $0 == end }, "padding after end in row \(row)") }
        }
    }

    func testSamplerRejectsBadInput() {
        let model = ToyModel(vocabularySize: 258, contextLength: 8)
        let sampler = DistillationSampler(length: 8, endTokens: [end], padToken: end)
        XCTAssertThrowsError(try sampler.sample(model: model, prompts: [[1]], count: 2, seed: 1))  // context too short
        XCTAssertThrowsError(try sampler.sample(model: model, prompts: [], count: 2, seed: 1))
        XCTAssertThrowsError(try sampler.sample(model: model, prompts: [[1]], count: 0, seed: 1))
    }

    func distill(_ distiller: HMMDistiller, name: String, tokens: [TokenID], iterations: Int,
                 sampled: inout Bool, events: inout [DistillationEvent], stopAfter: Int? = nil,
                 tokenizer: String = "tok") throws -> DistillationReport {
        try distiller.distill(name: name, tokenizerFingerprint: tokenizer, modelFingerprint: "toy:1", hiddenStates: 3,
                              vocabularySize: 258, length: 8, iterations: iterations, seed: 11,
                              sampleSequences: { sampled = true; return tokens },
                              onEvent: { event in
                                  events.append(event)
                                  if case .iteration(let i, _, _, _) = event, let stopAfter, i >= stopAfter { return false }
                                  return true
                              })
    }

    func testDistillStoreLoadRoundTrip() throws {
        let folder = try TemporaryFolder()
        let store = try TrellisStore(path: folder.path("hmm.sqlite"))
        let tokens = try sample(count: 24, length: 8)
        var sampled = false
        var events: [DistillationEvent] = []
        let report = try distill(HMMDistiller(store: store), name: "toy", tokens: tokens, iterations: 3, sampled: &sampled, events: &events)
        XCTAssertTrue(sampled)
        XCTAssertEqual(report.iterations, 3)
        let loaded = try StoredHMM.load(from: store, name: "toy", tokenizerFingerprint: "tok", modelFingerprint: "toy:1")
        XCTAssertEqual(loaded.hmm, report.hmm)
        XCTAssertEqual(loaded.checkpoint?.iteration, 3)
        XCTAssertEqual(try store.hmmCheckpoints(model: loaded.record.id).map(\.iteration), [1, 2, 3])
        let stored = try store.loadHMMTensor(kind: StoredHMM.trainingTokensKind, model: loaded.record.id)
        XCTAssertEqual(stored.rows, 24)
        XCTAssertEqual(stored.values.map { TokenID($0) }, tokens)
        // EM never lowers the likelihood (pseudocounts aside, within float noise).
        let lls = events.compactMap { if case .iteration(_, let ll, _, _) = $0 { return ll } else { return nil } }
        XCTAssertEqual(lls.count, 3)
        for (a, b) in zip(lls, lls.dropFirst()) { XCTAssertGreaterThanOrEqual(b, a - 1e-3 * abs(a)) }
        XCTAssertThrowsError(try StoredHMM.load(from: store, name: "toy", tokenizerFingerprint: "other")) { error in
            guard case ControlError.hmmMismatch = error else { return XCTFail("\(error)") }
        }
        XCTAssertThrowsError(try StoredHMM.load(from: store, name: "missing")) { error in
            XCTAssertEqual(error as? ControlError, .hmmNotFound(name: "missing"))
        }
    }

    func testResumeContinuesFromTheCheckpointIteration() throws {
        let folder = try TemporaryFolder()
        let store = try TrellisStore(path: folder.path("hmm.sqlite"))
        let tokens = try sample(count: 24, length: 8)
        let distiller = HMMDistiller(store: store)
        var sampled = false
        var events: [DistillationEvent] = []
        let straight = try distill(distiller, name: "straight", tokens: tokens, iterations: 4, sampled: &sampled, events: &events)

        // Interrupted after iteration 2, then resumed to 4.
        events = []
        let interrupted = try distill(distiller, name: "resumed", tokens: tokens, iterations: 4, sampled: &sampled,
                                      events: &events, stopAfter: 2)
        XCTAssertEqual(interrupted.iterations, 2)
        let record = try XCTUnwrap(store.hmmModel(named: "resumed"))
        XCTAssertEqual(try store.latestHMMCheckpoint(model: record.id)?.iteration, 2)

        sampled = false
        events = []
        let resumed = try distill(distiller, name: "resumed", tokens: [], iterations: 4, sampled: &sampled, events: &events)
        XCTAssertFalse(sampled, "stored samples are reused")
        XCTAssertEqual(resumed.iterations, 4)
        let numbers = events.compactMap { if case .iteration(let i, _, _, _) = $0 { return i } else { return nil } }
        XCTAssertEqual(numbers, [3, 4])
        XCTAssertTrue(events.contains { if case .resumed(2) = $0 { return true } else { return false } })
        XCTAssertEqual(try store.hmmCheckpoints(model: record.id).map(\.iteration), [1, 2, 3, 4])
        // Same data, same start, same arithmetic: the resumed model is the straight one.
        for (a, b) in zip(resumed.hmm.emission, straight.hmm.emission) { XCTAssertEqual(a, b, accuracy: 1e-5) }
        for (a, b) in zip(resumed.hmm.transition, straight.hmm.transition) { XCTAssertEqual(a, b, accuracy: 1e-5) }

        // Nothing left to do: no iteration runs.
        events = []
        let again = try distill(distiller, name: "resumed", tokens: [], iterations: 4, sampled: &sampled, events: &events)
        XCTAssertEqual(again.iterations, 4)
        XCTAssertFalse(events.contains { if case .iteration = $0 { return true } else { return false } })
        // Resuming with another tokenizer is refused.
        XCTAssertThrowsError(try distill(distiller, name: "resumed", tokens: [], iterations: 5, sampled: &sampled,
                                         events: &events, tokenizer: "other"))
    }
}
