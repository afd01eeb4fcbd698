import XCTest
import TrellisCore
import TrellisTestSupport
import TrellisTrie
@testable import TrellisDecoding

final class BeamSearchTests: XCTestCase {
    /// Exact log-probability of a continuation under the toy model.
    private func score(_ prompt: [TokenID], _ tokens: [TokenID], vocab: Int, forced: Set<Int> = []) -> Float {
        var history = prompt
        var total: Float = 0
        for (i, t) in tokens.enumerated() {
            if !forced.contains(i) { total += ToyModel.logProb(history: history, token: t, vocabularySize: vocab) }
            history.append(t)
        }
        return total
    }

    func testUnconstrainedBeamWithFullWidthEqualsBruteForce() throws {
        // With beam ≥ vocab^(len-1) nothing is pruned, so the top results are the exact best sequences.
        let vocab = 4, length = 3
        let model = ToyModel(vocabularySize: vocab)
        let search = BeamSearch(constraint: Unconstrained(), options: BeamSearchOptions(beamSize: 16, maxNewTokens: length, lengthPenalty: 0))
        let results = try search.run(model: model, prompt: [1])
        var all: [([TokenID], Float)] = []
        for a in 0..<vocab { for b in 0..<vocab { for c in 0..<vocab {
            let seq = [TokenID(a), TokenID(b), TokenID(c)]
            all.append((seq, score([1], seq, vocab: vocab)))
        } } }
        all.sort { $0.1 > $1.1 }
        XCTAssertEqual(results.count, 16)
        for (r, expected) in zip(results, all.prefix(16)) {
            XCTAssertEqual(r.tokens, expected.0)
            XCTAssertEqual(r.logProb, expected.1, accuracy: 1e-4)
        }
        XCTAssertEqual(model.liveSequences, 0, "every sequence released")
    }

    func testTrieConstrainedSearchReturnsOnlyStoredNamesRankedExactly() throws {
        let vocab = 12, end: TokenID = 0
        var rng = TestRandom(seed: 7)
        for _ in 0..<20 {
            var builder = PrefixTrieBuilder()
            var names = Set<[TokenID]>()
            for i in 0..<Int.random(in: 1...9, using: &rng) {
                let name = (0..<Int.random(in: 1...4, using: &rng)).map { _ in TokenID.random(in: 1..<TokenID(vocab), using: &rng) } + [end]
                names.insert(name)
                builder.insert(name, payload: UInt32(i))
            }
            let trie = try builder.build()
            let model = ToyModel(vocabularySize: vocab)
            let beam = names.count + 1  // wide enough to keep every name alive: exact ranking
            let search = BeamSearch(constraint: PrefixTrieConstraint(trie: trie),
                                    options: BeamSearchOptions(beamSize: beam, maxNewTokens: 8, lengthPenalty: 0, endTokens: [end]))
            let results = try search.run(model: model, prompt: [3, 4])
            XCTAssertEqual(Set(results.map(\.tokens)), names, "seed \(rng.seed)")
            let expected = names.map { ($0, score([3, 4], $0, vocab: vocab)) }.sorted { $0.1 > $1.1 }
            XCTAssertEqual(results.map(\.tokens), expected.map(\.0))
            for r in results { XCTAssertFalse(trie.payloads(at: r.state).isEmpty) }
            XCTAssertEqual(model.liveSequences, 0)
        }
    }

    func testFewerValidContinuationsThanBeamsGivesNoJunk() throws {
        var builder = PrefixTrieBuilder()
        builder.insert([5, 0], payload: 1)
        builder.insert([6, 7, 0], payload: 2)
        let search = BeamSearch(constraint: PrefixTrieConstraint(trie: try builder.build()),
                                options: BeamSearchOptions(beamSize: 10, maxNewTokens: 5, endTokens: [0]))
        let results = try search.run(model: ToyModel(vocabularySize: 9), prompt: [1])
        XCTAssertEqual(Set(results.map(\.tokens)), [[5, 0], [6, 7, 0]])
        XCTAssertTrue(results.allSatisfy { $0.logProb.isFinite })
    }

    func testJumpForwardScoresForcedTokensAsCertainAndBatchesThem() throws {
        // Names share nothing after their first token, so every later token is forced.
        var builder = PrefixTrieBuilder()
        let names: [[TokenID]] = [[3, 4, 5, 6, 0], [7, 8, 9, 0], [2, 0]]
        for (i, n) in names.enumerated() { builder.insert(n, payload: UInt32(i)) }
        let trie = try builder.build()
        let model = ToyModel(vocabularySize: 11)
        let options = BeamSearchOptions(beamSize: 3, maxNewTokens: 8, lengthPenalty: 0, endTokens: [0], jumpForward: true)
        let results = try BeamSearch(constraint: PrefixTrieConstraint(trie: trie), options: options).run(model: model, prompt: [1])
        XCTAssertEqual(Set(results.map(\.tokens)), Set(names))
        for r in results {
            // Only the first token (a real choice) and the end token (chosen after the forced run) count.
            let forced = Set(1..<(r.tokens.count - 1))
            XCTAssertEqual(r.logProb, score([1], r.tokens, vocab: 11, forced: forced), accuracy: 1e-4)
        }
        XCTAssertLessThanOrEqual(model.extendCalls, 3, "prompt, first tokens with forced runs, end tokens")
    }

    func testSamplerIsDeterministicPerSeedAndRespectsTopKAndTopP() {
        var logits: [Float] = [2, 1, 0.5, -1, -.infinity, 3]
        logits.withUnsafeBufferPointer { row in
            var greedy = Sampler()
            XCTAssertEqual(greedy.sample(row), 5)
            var a = Sampler(temperature: 1, seed: 9), b = Sampler(temperature: 1, seed: 9)
            let xs = (0..<50).map { _ in a.sample(row)! }, ys = (0..<50).map { _ in b.sample(row)! }
            XCTAssertEqual(xs, ys)
            XCTAssertFalse(xs.contains(4), "-inf is never sampled")
            var topK = Sampler(temperature: 5, topK: 2, seed: 1)
            XCTAssertEqual(Set((0..<200).map { _ in topK.sample(row)! }), [0, 5])
            // p(5) = e^3/Σ ≈ 0.63 and p(0) ≈ 0.23: a nucleus of 0.5 keeps only token 5.
            var topP = Sampler(temperature: 1, topP: 0.5, seed: 1)
            XCTAssertEqual(Set((0..<200).map { _ in topP.sample(row)! }), [5])
        }
        logits = [-.infinity, -.infinity]
        logits.withUnsafeBufferPointer { row in
            var s = Sampler(temperature: 1)
            XCTAssertNil(s.sample(row))
        }
    }

    func testGeneratorStopsAtStopTokenAndHonoursConstraint() throws {
        var builder = PrefixTrieBuilder()
        builder.insert([4, 5, 6], payload: 0)
        let gen = TokenGenerator(constraint: PrefixTrieConstraint(trie: try builder.build()), maxTokens: 10, stopTokens: [0])
        let result = try gen.generate(model: ToyModel(vocabularySize: 8), prompt: [1], sampler: Sampler(temperature: 1, seed: 3))
        XCTAssertEqual(result.tokens, [4, 5, 6])
        XCTAssertEqual(result.finishReason, .constraint)
        var streamed: [TokenID] = []
        let free = TokenGenerator(constraint: Unconstrained(), maxTokens: 5, stopTokens: [])
        let r2 = try free.generate(model: ToyModel(vocabularySize: 8), prompt: [1], sampler: Sampler()) { streamed.append($0); return true }
        XCTAssertEqual(r2.tokens, streamed)
        XCTAssertEqual(r2.finishReason, .length)
        XCTAssertEqual(r2.tokens.count, 5)
    }

    func testLogSoftmaxAndTopK() {
        var row: [Float] = [1000, 1000, -.infinity]
        row.withUnsafeMutableBufferPointer { LogProbabilities.logSoftmax($0) }
        XCTAssertEqual(row[0], -logf(2), accuracy: 1e-4)  // float spacing at 1000 is 6e-5
        XCTAssertEqual(row[2], -.infinity)
        let values: [Float] = [0.1, 5, 3, 5, -1]
        values.withUnsafeBufferPointer { XCTAssertEqual(LogProbabilities.topK($0, 3).map(\.index), [1, 3, 2]) }
    }
}
