import XCTest
import TrellisAutomata
import TrellisCore
import TrellisHMM
import TrellisTestSupport

final class GuidanceTests: XCTestCase {
    func randomHMM(seed: UInt64, h: Int = 2, v: Int = 3) -> HiddenMarkovModel {
        var rng = SplitMix64(seed: seed)
        return HiddenMarkovModel(randomWithHiddenStates: h, vocabularySize: v, using: &rng)
    }

    func testBetaMatchesEnumeration() throws {
        for seed: UInt64 in [1, 2, 3] {
            let hmm = randomHMM(seed: seed)
            let table = try GuidanceTable(hmm: hmm, dfa: toyDFA, horizon: 5)
            for t in 0...5 {
                let sequences = allSequences(vocabularySize: 3, length: t)
                for s in 0..<toyDFA.stateCount {
                    let beta = table.betaVector(remaining: t, state: s)
                    for h in 0..<hmm.hiddenStates {
                        var expected: Double = 0
                        for y in sequences where reachesAcceptance(toyDFA, from: Int32(s), y) {
                            expected += bruteForceProbability(hmm, y, firstHidden: h)
                        }
                        if t == 0 { expected = toyDFA.accepting[s] ? 1 : 0 }
                        XCTAssertEqual(Double(beta[h]), expected, accuracy: 1e-5, "seed \(seed) t \(t) s \(s) h \(h)")
                    }
                }
            }
        }
    }

    func testPerStepProbabilitiesMatchEnumeration() throws {
        let seed: UInt64 = 7
        let hmm = randomHMM(seed: seed, h: 3, v: 3)
        let horizon = 5
        let guided = HMMGuidedConstraint(table: try GuidanceTable(hmm: hmm, dfa: toyDFA, horizon: horizon))
        // Every prefix of length <= 2 the mask allows.
        for prefix in allSequences(vocabularySize: 3, length: 0) + allSequences(vocabularySize: 3, length: 1)
            + allSequences(vocabularySize: 3, length: 2) {
            var state: HMMGuidedConstraint.State? = guided.initialState
            for t in prefix { state = state.flatMap { guided.advance($0, by: t) } }
            guard let state else { continue }
            var p = [Float](repeating: 0, count: 3), q = [Float](repeating: 0, count: 3)
            p.withUnsafeMutableBufferPointer { pp in q.withUnsafeMutableBufferPointer { qq in
                guided.tokenProbabilities(in: state, unconstrained: pp, constrained: qq)
            } }
            let prefixProbability = bruteForceProbability(hmm, prefix)
            let remaining = horizon - prefix.count
            for x in 0..<3 {
                let withX = prefix + [TokenID(x)]
                XCTAssertEqual(Double(p[x]), bruteForceProbability(hmm, withX) / prefixProbability, accuracy: 1e-5)
                var joint: Double = 0
                for cont in allSequences(vocabularySize: 3, length: remaining - 1)
                    where reachesAcceptance(toyDFA, from: toyDFA.run(prefix), [TokenID(x)] + cont) {
                    joint += bruteForceProbability(hmm, withX + cont)
                }
                XCTAssertEqual(Double(q[x]), joint / prefixProbability, accuracy: 1e-5, "seed \(seed) prefix \(prefix) x \(x)")
            }
            // The bias is log q - log p for allowed tokens, -inf for forbidden ones.
            var logits = [Float](repeating: 0, count: 3)
            logits.withUnsafeMutableBufferPointer { guided.addBias(in: state, to: $0) }
            for x in 0..<3 {
                if q[x] > 0 { XCTAssertEqual(logits[x], logf(q[x]) - logf(p[x]), accuracy: 1e-4) }
                else { XCTAssertEqual(logits[x], -.infinity) }
                XCTAssertEqual(guided.allowed(in: state).contains(TokenID(x)), q[x] > 0)
            }
        }
    }

    /// 12 tokens: 0...9 neutral (class 0), 10 opens (class 1), 11 closes (class 2), as `toyDFA`.
    let wideDFA = TokenDFA(vocabularySize: 12, classCount: 3, tokenClass: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2],
                           stateCount: 3, start: 0, transitions: [0, 1, 0,  1, 1, 2,  2, 2, 2],
                           accepting: [false, false, true])

    func testClassBiasMatchesPerTokenBias() throws {
        for seed: UInt64 in [11, 12, 13] {
            let hmm = randomHMM(seed: seed, h: 4, v: 12)
            let table = try GuidanceTable(hmm: hmm, dfa: wideDFA, horizon: 6)
            let exact = HMMGuidedConstraint(table: table, exactTokens: .max)
            for k in [0, 3, 11] {
                // Class 0 (10 tokens) is "large": class ratio except for its top k tokens.
                let fast = HMMGuidedConstraint(table: table, exactTokens: k, exactClassTokens: 5)
                var rng = SplitMix64(seed: seed &+ UInt64(k))
                for prefix: [TokenID] in [[], [10], [3, 10], [10, 4], [10, 11], [5, 5, 5, 5, 5]] {
                    var state: HMMGuidedConstraint.State? = exact.initialState
                    for t in prefix { state = state.flatMap { exact.advance($0, by: t) } }
                    guard let state else { continue }
                    var p = [Float](repeating: 0, count: 12), q = p
                    p.withUnsafeMutableBufferPointer { pp in q.withUnsafeMutableBufferPointer { qq in
                        exact.tokenProbabilities(in: state, unconstrained: pp, constrained: qq)
                    } }
                    var input = (0..<12).map { _ in Float.random(in: -8 ... -0.1, using: &rng) }
                    input[2] = -.infinity
                    var reference = input, biased = input
                    reference.withUnsafeMutableBufferPointer { exact.addBias(in: state, to: $0) }
                    biased.withUnsafeMutableBufferPointer { fast.addBias(in: state, to: $0) }
                    let remaining = 6 - prefix.count
                    let viable = { (x: Int) in q[x] > 0 }
                    let large = Array(0..<10)
                    let top = Set(large.filter { input[$0] > -.infinity && viable($0) }.sorted { input[$0] > input[$1] }.prefix(k))
                    func classSum(_ values: [Float], _ x: Int) -> Double {
                        (0..<12).filter { wideDFA.tokenClass[$0] == wideDFA.tokenClass[x] }.map { Double(values[$0]) }.reduce(0, +)
                    }
                    for x in 0..<12 {
                        let context = "seed \(seed) k \(k) prefix \(prefix) x \(x) remaining \(remaining)"
                        if !viable(x) || input[x] == -.infinity {
                            XCTAssertEqual(biased[x], -.infinity, context)
                        } else if !large.contains(x) || top.contains(x) {
                            XCTAssertEqual(biased[x], reference[x], accuracy: 1e-4, context)
                        } else {
                            // Class-level ratio Σ_{x∈c} q / Σ_{x∈c} p, bounded like the exact one.
                            XCTAssertEqual(Double(biased[x]), Double(input[x]) + log(classSum(q, x) / classSum(p, x)), accuracy: 1e-4, context)
                            XCTAssertLessThanOrEqual(biased[x], input[x] + 1e-5, context)
                        }
                    }
                }
            }
        }
    }

    func testVocabularyMismatchIsTyped() {
        XCTAssertThrowsError(try GuidanceTable(hmm: randomHMM(seed: 1, v: 4), dfa: toyDFA, horizon: 3)) {
            XCTAssertEqual($0 as? HMMError, .vocabularyMismatch(hmm: 4, dfa: 3))
        }
    }
}
