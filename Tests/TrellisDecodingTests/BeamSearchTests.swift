import Foundation
import TrellisCore
import TrellisDecoding
import TrellisTestSupport
import TrellisTrie
import XCTest

final class BeamSearchTests: XCTestCase {
    private var compared = 0

    /// With a beam wider than the number of hypotheses nothing is pruned, so the results are
    /// exactly the best sequences of a brute-force enumeration.
    func testUnconstrainedWideBeamEqualsBruteForce() throws {
        let vocab = 4, end: TokenID = 0, length = 3, prompt: [TokenID] = [1, 2]
        for alpha: Float in [0, 0.7] {
            let model = ToyModel(vocabularySize: vocab, salt: 3)
            // Every output: non-end tokens then an end token, or `length` tokens cut by the budget.
            var all: [[TokenID]] = []
            func extend(_ prefix: [TokenID]) {
                if prefix.count == length { all.append(prefix); return }
                all.append(prefix + [end])
                for t in 1..<vocab { extend(prefix + [TokenID(t)]) }
            }
            extend([])
            all = all.filter { $0.count <= length }
            func score(_ s: [TokenID]) -> Double { model.logProb(of: s, after: prompt) / pow(Double(s.count), Double(alpha)) }
            let expected = all.sorted { score($0) > score($1) }
            let options = BeamSearchOptions(beamSize: 64, maxNewTokens: length, lengthPenalty: alpha, endTokens: [end],
                                            resultCount: all.count)
            let results = try BeamSearch(constraint: Unconstrained(), options: options).run(model: model, prompt: prompt)
            XCTAssertEqual(results.count, all.count)
            XCTAssertEqual(results.map(\.tokens), expected, "alpha \(alpha)")
            for r in results {
                XCTAssertEqual(Double(r.logProb), model.logProb(of: r.tokens, after: prompt), accuracy: 1e-4)
                XCTAssertEqual(Double(r.score), score(r.tokens), accuracy: 1e-4)
                XCTAssertEqual(r.finishReason, r.tokens.last == end ? .endToken : .lengthLimit)
            }
            XCTAssertEqual(model.liveSequences, 0, "every sequence released")
            XCTAssertEqual(model.invalidReleases, 0)
        }
    }

    /// Narrow beams against the plain reference implementation: same hypotheses, same order,
    /// same scores, over unconstrained, trie, mask and chained constraints and every option.
    func testMatchesReferenceBeamSearch() throws {
        compared = 0
        defer { XCTAssertGreaterThan(compared, 300, "the seeds produce real results to compare") }
        for seed in UInt64(1)...240 {
            var rng = SplitMix64(seed: seed)
            let vocab = Int.random(in: 3...7, using: &rng)
            let end: TokenID = 0
            let impossible: Set<TokenID> = seed % 5 == 0 ? [TokenID(vocab - 1)] : []
            let model = ToyModel(vocabularySize: vocab, salt: seed, impossibleTokens: impossible)
            let options = BeamSearchOptions(
                beamSize: Int.random(in: 1...4, using: &rng), maxNewTokens: Int.random(in: 1...6, using: &rng),
                lengthPenalty: [0, 0.6, 1][Int.random(in: 0..<3, using: &rng)], endTokens: [end],
                jumpForward: Bool.random(using: &rng),
                forcedTokenScoring: Bool.random(using: &rng) ? .certain : .modelLogProbability,
                resultCount: Int.random(in: 1...5, using: &rng))
            let prompt = (0..<Int.random(in: 1...3, using: &rng)).map { _ in TokenID.random(in: 0..<TokenID(vocab), using: &rng) }
            let trie = try randomNameTrie(rng: &rng, vocabulary: vocab, end: end, count: Int.random(in: 1...12, using: &rng)).trie
            switch seed % 4 {
            case 0: try compare(Unconstrained(), model, prompt, options, seed)
            case 1: try compare(PrefixTrieConstraint(trie: trie), model, prompt, options, seed)
            case 2: try compare(ParityMaskConstraint(vocabularySize: vocab), model, prompt, options, seed)
            default: try compare(ConstraintChain(PrefixTrieConstraint(trie: trie), ParityMaskConstraint(vocabularySize: vocab)),
                                 model, prompt, options, seed)
            }
        }
    }

    private func compare<C: LogitConstraint>(_ constraint: C, _ model: ToyModel, _ prompt: [TokenID],
                                             _ options: BeamSearchOptions, _ seed: UInt64,
                                             file: StaticString = #filePath, line: UInt = #line) throws {
        let expected = ReferenceBeamSearch(model: model, constraint: constraint, options: options).run(prompt: prompt)
        let results = try BeamSearch(constraint: constraint, options: options).run(model: model, prompt: prompt)
        compared += expected.count
        let context = "seed \(seed) \(C.self) \(options)"
        XCTAssertEqual(results.map(\.tokens), expected.map(\.tokens), context, file: file, line: line)
        XCTAssertEqual(results.map(\.finishReason), expected.map(\.reason), context, file: file, line: line)
        for (r, e) in zip(results, expected) {
            XCTAssertEqual(Double(r.logProb), e.logProb, accuracy: 1e-4, context, file: file, line: line)
            XCTAssertTrue(r.logProb.isFinite && r.score.isFinite, context, file: file, line: line)
            XCTAssertTrue(constraint.isAccepting(r.state), context, file: file, line: line)
        }
        XCTAssertEqual(model.liveSequences, 0, context, file: file, line: line)
        XCTAssertEqual(model.invalidReleases, 0, context, file: file, line: line)
    }

    /// A beam as wide as the name list keeps every name alive: the results are exactly the
    /// trie's names, ranked by their exact model log-probability, each ending at its payloads.
    func testTrieConstrainedSearchReturnsOnlyStoredNamesRankedExactly() throws {
        let vocab = 12, end: TokenID = 0
        for seed in UInt64(1)...25 {
            var rng = SplitMix64(seed: seed)
            let (trie, names) = try randomNameTrie(rng: &rng, vocabulary: vocab, end: end, count: Int.random(in: 1...9, using: &rng))
            let model = ToyModel(vocabularySize: vocab, salt: seed)
            let options = BeamSearchOptions(beamSize: names.count, maxNewTokens: 8, lengthPenalty: 0, endTokens: [end])
            let results = try BeamSearch(constraint: PrefixTrieConstraint(trie: trie), options: options).run(model: model, prompt: [3, 4])
            XCTAssertEqual(Set(results.map(\.tokens)), names, "seed \(seed)")
            let expected = names.sorted { model.logProb(of: $0, after: [3, 4]) > model.logProb(of: $1, after: [3, 4]) }
            XCTAssertEqual(results.map(\.tokens), expected, "seed \(seed)")
            for r in results {
                XCTAssertEqual(Double(r.logProb), model.logProb(of: r.tokens, after: [3, 4]), accuracy: 1e-4)
                XCTAssertFalse(trie.payloads(at: r.state).isEmpty)
                XCTAssertEqual(r.finishReason, .endToken)
            }
            XCTAssertEqual(model.liveSequences, 0)
        }
    }

    func testFewerValidContinuationsThanBeamsGivesNoJunk() throws {
        var builder = PrefixTrieBuilder()
        builder.insert([5, 0], payload: 1)
        builder.insert([6, 7, 0], payload: 2)
        builder.insert([8, 0], payload: 3)        // the model never produces 8
        builder.insert([6, 3, 8, 0], payload: 4)  // nor this forced 8
        let trie = try builder.freeze()
        for jumpForward in [false, true] {
            let model = ToyModel(vocabularySize: 9, impossibleTokens: [8])
            let options = BeamSearchOptions(beamSize: 10, maxNewTokens: 5, endTokens: [0], jumpForward: jumpForward)
            let results = try BeamSearch(constraint: PrefixTrieConstraint(trie: trie), options: options).run(model: model, prompt: [1])
            XCTAssertEqual(Set(results.map(\.tokens)), [[5, 0], [6, 7, 0]])
            XCTAssertTrue(results.allSatisfy { $0.logProb.isFinite && $0.score.isFinite })
            XCTAssertEqual(model.liveSequences, 0)
        }
        // Nothing valid at all: an empty trie, and a trie of impossible names.
        let model = ToyModel(vocabularySize: 9, impossibleTokens: [8])
        XCTAssertEqual(try BeamSearch(constraint: PrefixTrieConstraint(trie: try PrefixTrieBuilder().freeze())).run(model: model, prompt: [1]).count, 0)
        XCTAssertEqual(try BeamSearch(constraint: PrefixTrieConstraint(trie: try PrefixTrie.build([(tokens: [8, 0], payload: 0)])),
                                      options: BeamSearchOptions(endTokens: [0])).run(model: model, prompt: [1]).count, 0)
        XCTAssertEqual(model.liveSequences, 0)
    }

    /// Jump-forward appends each forced run in one pass; token by token appends one token per
    /// pass. Hypotheses and scores are identical (same rows, same sums), for both scorings and
    /// for models with and without logits at every position; only the number of passes differs.
    func testJumpForwardEqualsTokenByToken() throws {
        var fewerCalls = 0
        for seed in UInt64(1)...30 {
            var rng = SplitMix64(seed: seed)
            let (trie, _) = try randomNameTrie(rng: &rng, vocabulary: 9, end: 0, count: Int.random(in: 1...10, using: &rng), maxLength: 8)
            for scoring in [ForcedTokenScoring.modelLogProbability, .certain] {
                var outcomes: [[BeamHypothesis<PrefixTrie.Node>]] = []
                var calls: [Int] = []
                for (jump, allRows) in [(false, true), (true, true), (false, false), (true, false)] {
                    let toy = ToyModel(vocabularySize: 9, salt: seed)
                    let model: any NextTokenModel = allRows ? toy : LastRowToyModel(toy)
                    let options = BeamSearchOptions(beamSize: 3, maxNewTokens: 10, lengthPenalty: 0.5, endTokens: [0],
                                                    jumpForward: jump, forcedTokenScoring: scoring)
                    let result = try BeamSearch(constraint: PrefixTrieConstraint(trie: trie), options: options).search(model: model, prompt: [1, 2])
                    outcomes.append(result.hypotheses)
                    calls.append(toy.extendCalls + toy.allLogitsCalls)
                    XCTAssertEqual(result.statistics.modelCalls, calls.last!)
                    XCTAssertEqual(toy.liveSequences, 0)
                    if jump && (allRows || scoring == .certain) {
                        XCTAssertLessThanOrEqual(result.statistics.modelCalls, result.statistics.steps + 1, "at most one pass per step, seed \(seed)")
                    }
                }
                for other in outcomes.dropFirst() {
                    XCTAssertEqual(other.map(\.tokens), outcomes[0].map(\.tokens), "seed \(seed) \(scoring)")
                    XCTAssertEqual(other.map(\.logProb), outcomes[0].map(\.logProb), "seed \(seed) \(scoring)")
                    XCTAssertEqual(other.map(\.forcedTokenCount), outcomes[0].map(\.forcedTokenCount))
                }
                // Scores: forced tokens count by the chosen rule.
                let model = ToyModel(vocabularySize: 9, salt: seed)
                for h in outcomes[0] {
                    var forced = Set<Int>()
                    var node = trie.root
                    for (i, t) in h.tokens.enumerated() {
                        if trie.childCount(of: node) == 1 { forced.insert(i) }
                        node = trie.step(node, token: t)!
                    }
                    XCTAssertEqual(h.forcedTokenCount, forced.count)
                    let expected = model.logProb(of: h.tokens, after: [1, 2], skipping: scoring == .certain ? forced : [])
                    XCTAssertEqual(Double(h.logProb), expected, accuracy: 1e-4, "seed \(seed) \(scoring)")
                }
                if calls[1] < calls[0] { fewerCalls += 1 }
                XCTAssertLessThanOrEqual(calls[1], calls[0])
            }
        }
        XCTAssertGreaterThan(fewerCalls, 20, "jump-forward saves passes on most tries")
    }

    /// Early stopping never changes the results, and saves passes when the best finished
    /// hypotheses are out of reach.
    func testEarlyStoppingIsExact() throws {
        var saved = 0
        for seed in UInt64(1)...40 {
            var rng = SplitMix64(seed: seed)
            let vocab = Int.random(in: 3...6, using: &rng)
            let alpha: Float = [0, 0.5, 1][Int(seed % 3)]
            var outcomes: [[BeamHypothesis<Void>]] = []
            var calls: [Int] = []
            for early in [false, true] {
                let model = ToyModel(vocabularySize: vocab, salt: seed)
                let options = BeamSearchOptions(beamSize: 3, maxNewTokens: 7, lengthPenalty: alpha, endTokens: [0, 1],
                                                earlyStopping: early)
                outcomes.append(try BeamSearch(constraint: Unconstrained(), options: options).run(model: model, prompt: [2]))
                calls.append(model.extendCalls)
                XCTAssertEqual(model.liveSequences, 0)
            }
            XCTAssertEqual(outcomes[1].map(\.tokens), outcomes[0].map(\.tokens), "seed \(seed)")
            XCTAssertEqual(outcomes[1].map(\.score), outcomes[0].map(\.score), "seed \(seed)")
            XCTAssertLessThanOrEqual(calls[1], calls[0])
            if calls[1] < calls[0] { saved += 1 }
        }
        XCTAssertGreaterThan(saved, 0, "early stopping triggers on some seeds")
    }

    /// A workspace reused across searches (and vocabularies) changes nothing but allocations.
    func testWorkspaceReuseGivesIdenticalResults() throws {
        let workspace = BeamSearchWorkspace()
        for seed in UInt64(1)...12 {
            var rng = SplitMix64(seed: seed)
            let vocab = Int.random(in: 5...12, using: &rng)
            let (trie, _) = try randomNameTrie(rng: &rng, vocabulary: vocab, end: 0, count: 8)
            let options = BeamSearchOptions(beamSize: 3, maxNewTokens: 8, endTokens: [0], jumpForward: seed % 2 == 0)
            let search = BeamSearch(constraint: PrefixTrieConstraint(trie: trie), options: options)
            let fresh = try search.run(model: ToyModel(vocabularySize: vocab, salt: seed), prompt: [1])
            let reused = try search.run(model: ToyModel(vocabularySize: vocab, salt: seed), prompt: [1], workspace: workspace)
            XCTAssertEqual(reused.map(\.tokens), fresh.map(\.tokens), "seed \(seed)")
            XCTAssertEqual(reused.map(\.logProb), fresh.map(\.logProb), "seed \(seed)")
        }
        XCTAssertGreaterThan(workspace.sizeInBytes, 0)
    }

    func testSearchInAForkedParentLeavesItUntouched() throws {
        let model = ToyModel(vocabularySize: 6)
        let document = try model.makeSequence()
        let logits = LogitMatrix(rows: 1, width: 6)
        try model.extend([SequenceExtension(sequence: document, tokens: [1, 2, 3])], logits: logits)
        let search = BeamSearch(constraint: Unconstrained(), options: BeamSearchOptions(beamSize: 2, maxNewTokens: 3, endTokens: [0]))
        let shared = try search.run(model: model, prompt: [4], parent: document)
        let fresh = try search.run(model: model, prompt: [1, 2, 3, 4])
        XCTAssertEqual(shared.map(\.tokens), fresh.map(\.tokens))
        XCTAssertEqual(shared.map(\.logProb), fresh.map(\.logProb))
        XCTAssertEqual(model.history(of: document), [1, 2, 3])
        XCTAssertEqual(model.liveSequences, 1)
        XCTAssertEqual(model.invalidReleases, 0)
    }

    func testBudgetContextAndArgumentErrors() throws {
        let model = ToyModel(vocabularySize: 5, contextLength: 6)
        // Zero budget: the empty output if the constraint accepts it.
        let none = try BeamSearch(constraint: Unconstrained(), options: BeamSearchOptions(maxNewTokens: 0)).run(model: model, prompt: [1])
        XCTAssertEqual(none.map(\.tokens), [[]])
        XCTAssertEqual(none.first?.finishReason, .lengthLimit)
        // The context caps the budget: 4 prompt tokens leave 2.
        let capped = try BeamSearch(constraint: Unconstrained(), options: BeamSearchOptions(beamSize: 3, maxNewTokens: 10))
            .run(model: model, prompt: [1, 2, 3, 4])
        XCTAssertTrue(capped.allSatisfy { $0.tokens.count == 2 && $0.finishReason == .lengthLimit })
        XCTAssertThrowsError(try BeamSearch(constraint: Unconstrained()).run(model: model, prompt: [1, 2, 3, 4, 1, 2, 3])) {
            XCTAssertEqual($0 as? TrellisError, .limitExceeded(what: "prompt length in tokens", limit: 6, got: 7))
        }
        XCTAssertThrowsError(try BeamSearch(constraint: Unconstrained()).run(model: model, prompt: []))
        XCTAssertThrowsError(try BeamSearch(constraint: Unconstrained(), options: BeamSearchOptions(beamSize: 0)).run(model: model, prompt: [1]))
        XCTAssertEqual(model.liveSequences, 0, "released on every exit path")
    }

    /// A biasing constraint's log-weights count in the score and in the ranking.
    func testBiasCountsInScoreAndRanking() throws {
        let vocab = 6
        let model = ToyModel(vocabularySize: vocab, salt: 11)
        let prompt: [TokenID] = [3]
        let plain = (0..<vocab).map { model.logProb(of: TokenID($0), after: prompt) }
        let weakest = TokenID(plain.indices.min { plain[$0] < plain[$1] }!)
        let bonus: Float = 20
        let options = BeamSearchOptions(beamSize: 1, maxNewTokens: 1, lengthPenalty: 0)
        let results = try BeamSearch(constraint: BonusConstraint(favoured: weakest, bonus: bonus), options: options)
            .run(model: model, prompt: prompt)
        XCTAssertEqual(results.map(\.tokens), [[weakest]])
        XCTAssertEqual(Double(results[0].logProb), plain[Int(weakest)] + Double(bonus), accuracy: 1e-4)
    }
}
