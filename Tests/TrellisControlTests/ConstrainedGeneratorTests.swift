import TrellisAutomata
import TrellisControl
import TrellisCore
import TrellisDecoding
import TrellisHMM
import TrellisTestSupport
import XCTest

final class ConstrainedGeneratorTests: XCTestCase {
    let end: TokenID = 257

    func makeGenerator(_ model: ToyModel) -> ConstrainedGenerator {
        ConstrainedGenerator(model: model, tokenizer: ByteTokenizer(), endToken: end, stopTokens: [256, end])
    }

    /// Every mode (mask, HMM-guided) × decoder (sampling, beam) ends with the end token in an
    /// accepting DFA state, over random seeds and random HMMs.
    func testGuidedOutputsAlwaysSatisfyTheDFA() throws {
        let model = ToyModel(vocabularySize: 258)
        let generator = makeGenerator(model)
        let spec = ConstraintSpec(keywords: [["ab", "abs"], ["c"]], banned: ["zz"], maxTokens: 10)
        let dfa = try generator.compile(spec)
        for seed in UInt64(1)...6 {
            var rng = SplitMix64(seed: seed)
            let hmm = HiddenMarkovModel(randomWithHiddenStates: 4, vocabularySize: 258, using: &rng)
            for useHMM in [false, true] {
                for beam in [0, 3] {
                    let options = ControlOptions(guidanceWeight: 1, beamSize: beam,
                                                 sampler: Sampler(temperature: 1, seed: seed))
                    var streamed: [TokenID] = []
                    let out = try generator.generate(prompt: [1, 2, 3], spec: spec, hmm: useHMM ? hmm : nil,
                                                     options: options) { streamed.append($0); return true }
                    let context = "seed \(seed) hmm \(useHMM) beam \(beam): \(out.tokens)"
                    XCTAssertTrue(out.satisfied, context)
                    XCTAssertEqual(out.finishReason, .stop, context)
                    XCTAssertTrue(dfa.accepts(out.tokens + [end]), context)
                    XCTAssertFalse(out.tokens.contains(end) || out.tokens.contains(256), context)
                    XCTAssertLessThanOrEqual(out.tokens.count + 1, 10, context)
                    XCTAssertEqual(streamed, out.tokens, context)
                    // Whole-word check on the bytes: "ab"/"abs" and "c" present, "zz" absent.
                    let words = Set(String(decoding: out.tokens.map { UInt8($0) }, as: UTF8.self)
                        .split(whereSeparator: { !($0.isASCII && ($0.isLetter || $0.isNumber)) && $0.isASCII }).map(String.init))
                    if out.tokens.allSatisfy({ $0 < 0x80 }) {
                        XCTAssertTrue(words.contains("ab") || words.contains("abs"), context)
                        XCTAssertTrue(words.contains("c"), context)
                        XCTAssertFalse(words.contains("zz"), context)
                    }
                }
            }
        }
    }

    func testPlainModeStopsAtAStopToken() throws {
        let model = ToyModel(vocabularySize: 258)
        let out = try makeGenerator(model).generate(prompt: [5], spec: nil, hmm: nil, options: ControlOptions(maxTokens: 6))
        XCTAssertLessThanOrEqual(out.tokens.count, 6)
        XCTAssertEqual(out.satisfied, out.finishReason == .stop)
    }

    func testBadInputsAreTypedErrors() throws {
        let model = ToyModel(vocabularySize: 258)
        let generator = makeGenerator(model)
        var rng = SplitMix64(seed: 3)
        let wrongVocabulary = HiddenMarkovModel(randomWithHiddenStates: 2, vocabularySize: 10, using: &rng)
        XCTAssertThrowsError(try generator.generate(prompt: [1], spec: ConstraintSpec(keywords: [["a"]]), hmm: wrongVocabulary))
        XCTAssertThrowsError(try generator.generate(prompt: [1], spec: nil, hmm: wrongVocabulary))
        XCTAssertThrowsError(try generator.generate(prompt: [1], dfa: nil, budget: 0, hmm: nil))
    }

    func testStopTokenGateForbidsItsTokensEverywhere() {
        let gate = StopTokenGate(Unconstrained(), forbidding: [3, 7], vocabularySize: 10)
        let allowed = gate.allowed(in: ())
        XCTAssertEqual((0..<10).filter { allowed.contains(TokenID($0)) }, [0, 1, 2, 4, 5, 6, 8, 9])
        XCTAssertNil(gate.advance((), by: 7))
        XCTAssertNotNil(gate.advance((), by: 8))
    }

    func testConceptCoverageMatchesWholeWordsCaseInsensitively() {
        XCTAssertTrue(ConceptCoverage.covers("The Dog caught a frisbee.", concepts: [["dog", "dogs"], ["catch", "caught"], ["frisbee"]]))
        XCTAssertFalse(ConceptCoverage.covers("Dogma and frisbees", concepts: [["dog"], ["frisbee"]]))
        XCTAssertTrue(ConceptCoverage.covers("", concepts: []))
        // The apostrophe ends a word, as in the keyword DFAs.
        XCTAssertTrue(ConceptCoverage.covers("A surfer's wave", concepts: [["surfer"]]))
    }
}
