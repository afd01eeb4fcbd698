import Foundation
import TrellisAutomata
import TrellisCore
import TrellisTestSupport
import XCTest

/// The regex automata agree with Foundation's NSRegularExpression (ICU, an independent
/// implementation) on random patterns and texts, at the byte level and lifted to tokens.
final class RegexTests: XCTestCase {
    private func matches(_ matcher: ByteMatcher, _ text: [UInt8]) -> Bool {
        let node = text.withUnsafeBufferPointer { matcher.run($0, from: matcher.start).node }
        return node >= 0 && matcher.endAllowed[Int(node)]
    }

    private func oracle(_ pattern: String, _ text: String) throws -> Bool {
        let regex = try NSRegularExpression(pattern: "\\A(?:" + pattern + ")\\z")
        let range = NSRange(text.startIndex..., in: text)
        return regex.firstMatch(in: text, options: [], range: range) != nil
    }

    /// Random patterns over a, b, c, é and classes that include and exclude non-ASCII characters.
    private func randomPattern(_ rng: inout SplitMix64, depth: Int) -> String {
        let atoms = ["a", "b", "c", "é", ".", "[ab]", "[^a]", "[a-c]", "[à-é]", "[^é\\n]", "\\.", "(?:ab)"]
        if depth == 0 || Int.random(in: 0..<3, using: &rng) == 0 {
            return atoms[Int.random(in: 0..<atoms.count, using: &rng)]
        }
        switch Int.random(in: 0..<4, using: &rng) {
        case 0: return randomPattern(&rng, depth: depth - 1) + randomPattern(&rng, depth: depth - 1)
        case 1: return "(" + randomPattern(&rng, depth: depth - 1) + "|" + randomPattern(&rng, depth: depth - 1) + ")"
        case 2:
            let quantifiers = ["*", "+", "?", "{2}", "{1,3}", "{0,2}", "{2,}"]
            return "(" + randomPattern(&rng, depth: depth - 1) + ")" + quantifiers[Int.random(in: 0..<quantifiers.count, using: &rng)]
        default: return randomPattern(&rng, depth: depth - 1) + randomPattern(&rng, depth: depth - 1) + randomPattern(&rng, depth: depth - 1)
        }
    }

    private func randomText(_ rng: inout SplitMix64) -> String {
        let letters: [String] = ["a", "b", "c", "é", "à", "\n", ".", "ü"]
        return (0..<Int.random(in: 0...6, using: &rng)).map { _ in letters[Int.random(in: 0..<letters.count, using: &rng)] }.joined()
    }

    func testByteAutomataAgreeWithICUOnRandomPatterns() throws {
        let seed: UInt64 = 2026
        var rng = SplitMix64(seed: seed)
        var accepted = 0, checked = 0
        for _ in 0..<150 {
            let pattern = randomPattern(&rng, depth: 3)
            let matcher = try ByteMatcher.regex(try RegexParser.parse(pattern))
            for _ in 0..<80 {
                let text = randomText(&rng)
                let expected = try oracle(pattern, text)
                XCTAssertEqual(matches(matcher, Array(text.utf8)), expected, "seed \(seed) pattern \(pattern) text \(text.debugDescription)")
                if expected { accepted += 1 }
                checked += 1
            }
        }
        XCTAssertGreaterThan(accepted, checked / 50, "the sample must exercise acceptance (\(accepted) of \(checked))")
    }

    func testBrokenUTF8IsNeverAccepted() throws {
        let matcher = try ByteMatcher.regex(try RegexParser.parse(".*"))
        XCTAssertTrue(matches(matcher, Array("héllo ü 😀".utf8)))
        XCTAssertFalse(matches(matcher, [0x61, 0xC3]), "a truncated sequence")
        XCTAssertFalse(matches(matcher, [0xA9]), "a lone continuation byte")
        XCTAssertFalse(matches(matcher, [0xED, 0xA0, 0x80]), "an encoded surrogate")
        XCTAssertFalse(matches(matcher, [0xC0, 0xAF]), "an overlong encoding")
    }

    func testTokenAutomataAgreeWithICUOnDecodedText() throws {
        let seed: UInt64 = 77
        var rng = SplitMix64(seed: seed)
        var accepted = 0
        // (Patterns without nested ambiguous quantifiers: ICU backtracks exponentially on those.)
        for pattern in ["(dog|cat)s?", "[a-z ]*", "d.g", " ?[a-z]+( [a-z]+)*\\.", "[^,]*,", "dog{1,2}s?|frisbee", "é|c[aá]t"] {
            let dfa = try TokenDFA.regex(pattern, vocabulary: toyVocabulary)
            let icu = try NSRegularExpression(pattern: "\\A(?:" + pattern + ")\\z")
            for _ in 0..<4000 {
                let tokens = (0..<Int.random(in: 0...5, using: &rng)).map { _ in Int32.random(in: 0..<Int32(toyVocabulary.count), using: &rng) }
                let bytes = decodeBytes(tokens, toyVocabulary)
                let expected: Bool
                if let text = String(validating: bytes, as: UTF8.self) {
                    expected = icu.firstMatch(in: text, options: [], range: NSRange(text.startIndex..., in: text)) != nil
                } else {
                    expected = false
                }
                XCTAssertEqual(dfa.accepts(tokens), expected, "seed \(seed) pattern \(pattern) tokens \(tokens)")
                if expected { accepted += 1 }
            }
        }
        XCTAssertGreaterThan(accepted, 50)
    }

    func testSyntaxErrorsNameTheOffset() {
        for (pattern, offset) in [("ab(c", 4), ("a)", 1), ("*a", 0), ("a{3,1}", 1), ("[b-a]", 4), ("a\\q", 1), ("a+?", 2), ("a^b", 1)] {
            XCTAssertThrowsError(try RegexParser.parse(pattern), pattern) { error in
                XCTAssertEqual((error as? RegexSyntaxError)?.offset, offset, "\(pattern): \(error)")
            }
        }
        XCTAssertNoThrow(try RegexParser.parse("^a{2}$"))
        XCTAssertNoThrow(try RegexParser.parse("a{,2}"), "`{` not starting a count is a literal, as in most dialects")
    }

    /// Patterns whose DFA blows up exponentially stop at the node limit with an error.
    func testExponentialDFAsStopAtTheNodeLimit() throws {
        for pattern in ["(a|b)*a(a|b){14}", "(.*a){20}", "([a-z]*[0-9]){1,30}[a-z]{30}"] {
            do {
                let matcher = try ByteMatcher.regex(try RegexParser.parse(pattern))
                XCTAssertLessThanOrEqual(matcher.nodeCount, 4096, pattern)
            } catch AutomataError.tooManyStates {
                // refused, as it should be when the DFA is too large
            }
        }
    }

    func testHugeRepetitionsAreRefusedNotExpanded() {
        XCTAssertThrowsError(try RegexParser.parse("a{5000}"))
        XCTAssertThrowsError(try ByteMatcher.regex(try RegexParser.parse("((a|b){1000}){1000}"))) { error in
            guard case AutomataError.tooManyStates = error else { return XCTFail("\(error)") }
        }
    }
}
