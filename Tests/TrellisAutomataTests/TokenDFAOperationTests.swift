import XCTest
import TrellisAutomata
import TrellisCore
import TrellisTestSupport

final class TokenDFAOperationTests: XCTestCase {
    /// A small vocabulary so that all sequences up to length 4 can be enumerated.
    let small: [[UInt8]] = ["dog", " dog", "s", " ", "cat", " cat", ",", "do", "g", ""].map { Array($0.utf8) }

    func testMinimizationPreservesLanguageExhaustively() throws {
        let parts = [
            try TokenDFA.keyphrases([["dog", "dogs"], ["cat"]], vocabulary: small),
            try TokenDFA.banned(["dogs"], vocabulary: small),
            try TokenDFA.wordCount(min: 1, max: 2, vocabulary: small),
        ]
        let product = try parts[0].and(parts[1]).and(parts[2])
        let sequences = allSequences(vocabularySize: small.count, maxLength: 4)
        for dfa in parts + [product] {
            let minimal = dfa.minimized()
            XCTAssertLessThanOrEqual(minimal.stateCount, dfa.stateCount)
            XCTAssertLessThanOrEqual(minimal.classCount, dfa.classCount)
            for seq in sequences { XCTAssertEqual(minimal.accepts(seq), dfa.accepts(seq), "\(seq)") }
            // Minimizing twice changes nothing.
            XCTAssertEqual(minimal.minimized(), minimal)
            // Every state of a minimized DFA is useful.
            XCTAssertTrue(minimal.usefulStates().allSatisfy { $0 })
        }
    }

    func testBooleanCombinatorsMatchBooleanOperators() throws {
        let a = try TokenDFA.keyphrases([["dog"]], vocabulary: small)
        let b = try TokenDFA.wordCount(min: 2, max: 3, vocabulary: small)
        let and = try a.and(b), or = try a.or(b), notA = a.not()
        for seq in allSequences(vocabularySize: small.count, maxLength: 4) {
            let x = a.accepts(seq), y = b.accepts(seq)
            XCTAssertEqual(and.accepts(seq), x && y)
            XCTAssertEqual(or.accepts(seq), x || y)
            XCTAssertEqual(notA.accepts(seq), !x)
            XCTAssertEqual(and.minimized().accepts(seq), x && y)
            XCTAssertEqual(notA.minimized().accepts(seq), !x)
        }
    }

    func testDistanceToAcceptanceIsShortestAcceptedSuffix() throws {
        let dfa = try TokenDFA.keyphrases([["dog"], ["cat"]], vocabulary: small).minimized()
        let dist = dfa.distanceToAcceptance()
        // Brute force from every state: shortest accepted continuation up to 4 tokens.
        let suffixes = allSequences(vocabularySize: small.count, maxLength: 4)
        for s in 0..<dfa.stateCount {
            var best = Int32.max
            for suffix in suffixes where Int32(suffix.count) < best {
                var state = Int32(s)
                for t in suffix where state >= 0 { state = dfa.next(state, t) }
                if state >= 0 && dfa.accepting[Int(state)] { best = Int32(suffix.count) }
            }
            XCTAssertEqual(dist[s], best, "state \(s)")
        }
    }

    func testConstraintMaskAgreesWithAdvanceAndRandomWalksAccept() throws {
        let dfa = try TokenDFA.keyphrases([["dog"], ["cat"]], vocabulary: small)
            .and(TokenDFA.endsWithEOS(TokenID(small.count - 1), vocabularySize: small.count)).minimized()
        let constraint = DFAConstraint(dfa: dfa, maxTokens: 4)
        let seed: UInt64 = 5
        var rng = SplitMix64(seed: seed)
        for _ in 0..<500 {
            var state = constraint.initialState
            var steps = 0
            while !constraint.isAccepting(state) {
                guard case .mask(let mask) = constraint.allowed(in: state) else { return XCTFail("mask expected") }
                for t in 0..<small.count {
                    XCTAssertEqual(mask.contains(TokenID(t)), constraint.advance(state, by: TokenID(t)) != nil)
                }
                let options = mask.tokens
                XCTAssertFalse(options.isEmpty, "seed \(seed): dead end at step \(steps)")
                if options.isEmpty { break }
                state = constraint.advance(state, by: options.randomElement(using: &rng)!)!
                steps += 1
            }
            XCTAssertLessThanOrEqual(steps, 4)
        }
        // A budget too small for the constraint allows nothing at the start.
        let tight = DFAConstraint(dfa: dfa, maxTokens: 2)
        XCTAssertTrue(tight.allowed(in: tight.initialState).isEmpty)
    }
}
