import XCTest
import TrellisAutomata
import TrellisCore
import TrellisTestSupport

final class TokenDFABuilderTests: XCTestCase {
    let concepts = [["dog", "dogs", "Dog"], ["cat"], ["frisbee"]]

    func randomSequences(seed: UInt64, count: Int, vocabularySize: Int) -> [[Int32]] {
        var rng = SplitMix64(seed: seed)
        return (0..<count).map { _ in
            (0..<Int.random(in: 0...9, using: &rng)).map { _ in Int32.random(in: 0..<Int32(vocabularySize), using: &rng) }
        }
    }

    func testKeyphrasesAgreeWithBruteForceOnDecodedText() throws {
        let seed: UInt64 = 11
        var accepted = 0
        for concepts in [concepts, [["dog", "dogs"], ["cat"]], [["s"]]] {
            let dfa = try TokenDFA.keyphrases(concepts, vocabulary: toyVocabulary)
            let minimal = dfa.minimized()
            for seq in randomSequences(seed: seed, count: 20000, vocabularySize: toyVocabulary.count) {
                let text = decodeBytes(seq, toyVocabulary)
                let expected = concepts.allSatisfy { alts in alts.contains { containsWholePhrase(text, Array($0.utf8)) } }
                XCTAssertEqual(dfa.accepts(seq), expected, "seed \(seed) seq \(seq) text \(String(decoding: text, as: UTF8.self))")
                XCTAssertEqual(minimal.accepts(seq), expected, "seed \(seed) seq \(seq)")
                if expected { accepted += 1 }
            }
        }
        XCTAssertGreaterThan(accepted, 100, "the sample must exercise acceptance")
    }

    func testKeyphrasesExamples() throws {
        let dfa = try TokenDFA.keyphrases([["dog", "dogs"]], vocabulary: toyVocabulary)
        let id = { (s: String) in Int32(toyVocabulary.firstIndex(of: Array(s.utf8))!) }
        XCTAssertTrue(dfa.accepts([id("d"), id("o"), id("g")]))          // "dog" at text start and end
        XCTAssertTrue(dfa.accepts([id(" dog"), id("s"), id(",")]))       // " dogs,"
        XCTAssertFalse(dfa.accepts([id("catdog")]))                       // no boundary before
        XCTAssertFalse(dfa.accepts([id(" dog"), id("x")]))                // "dogx": no boundary after
        XCTAssertFalse(dfa.accepts([id(" dog"), Int32(toyVocabulary.count - 3)])) // é follows
        XCTAssertTrue(dfa.accepts([id(" dog"), toyEOS]))                  // control token is neutral
    }

    func testBannedAndWordCountAgreeWithBruteForce() throws {
        let banned = try TokenDFA.banned(["cat", "dogs"], vocabulary: toyVocabulary)
        let words = try TokenDFA.wordCount(min: 2, max: 3, vocabulary: toyVocabulary)
        let seed: UInt64 = 12
        for seq in randomSequences(seed: seed, count: 20000, vocabularySize: toyVocabulary.count) {
            let text = decodeBytes(seq, toyVocabulary)
            let hasBanned = ["cat", "dogs"].contains { containsWholePhrase(text, Array($0.utf8)) }
            XCTAssertEqual(banned.accepts(seq), !hasBanned, "seed \(seed) seq \(seq)")
            let n = wordCountBrute(text)
            XCTAssertEqual(words.accepts(seq), (2...3).contains(n), "seed \(seed) seq \(seq)")
        }
    }

    func testEndsWithEOS() throws {
        let dfa = try TokenDFA.endsWithEOS(2, vocabularySize: 4)
        XCTAssertTrue(dfa.accepts([0, 1, 2]))
        XCTAssertTrue(dfa.accepts([2]))
        XCTAssertFalse(dfa.accepts([]))
        XCTAssertFalse(dfa.accepts([2, 0]))
        XCTAssertThrowsError(try TokenDFA.endsWithEOS(4, vocabularySize: 4)) {
            XCTAssertEqual($0 as? AutomataError, .tokenOutsideVocabulary(token: 4, vocabularySize: 4))
        }
    }

    func testDegenerateInputs() throws {
        XCTAssertTrue(try TokenDFA.keyphrases([], vocabulary: toyVocabulary).accepts([]))
        XCTAssertThrowsError(try TokenDFA.keyphrases([["dog", ""]], vocabulary: toyVocabulary))
        XCTAssertThrowsError(try TokenDFA.keyphrases([[]], vocabulary: toyVocabulary))
        XCTAssertThrowsError(try TokenDFA.wordCount(min: 3, max: 2, vocabulary: toyVocabulary))
        // One-token vocabulary whose only token is the keyword.
        let one = try TokenDFA.keyphrases([["a"]], vocabulary: [Array("a".utf8)])
        XCTAssertTrue(one.accepts([0]))
        XCTAssertFalse(one.accepts([0, 0]))  // "aa" is not the word "a"
        XCTAssertFalse(one.accepts([]))
        // Empty vocabulary: only the empty sequence exists.
        let empty = try TokenDFA.wordCount(min: 0, max: 0, vocabulary: [])
        XCTAssertTrue(empty.accepts([]))
    }
}
