import XCTest
import TrellisAutomata
import TrellisCore

final class TokenDFAConcatenationTests: XCTestCase {
    /// Small enough that every sequence up to length 4 can be enumerated (10^4 + ... sequences).
    let small: [[UInt8]] = ["dog", " dog", "s", " ", "cat", " cat", ",", "do", "g", ""].map { Array($0.utf8) }

    /// Brute-force concatenation: some split point gives an accepted prefix and suffix.
    private func concatenationAccepts(_ a: TokenDFA, _ b: TokenDFA, _ seq: [Int32]) -> Bool {
        (0...seq.count).contains { i in a.accepts(seq[..<i]) && b.accepts(seq[i...]) }
    }

    func testThenMatchesBruteForceSplits() throws {
        let dog = try TokenDFA.keyphrases([["dog", "dogs"]], vocabulary: small)
        let cat = try TokenDFA.keyphrases([["cat"]], vocabulary: small)
        let twoWords = try TokenDFA.wordCount(min: 2, max: 2, vocabulary: small)
        let noCat = try TokenDFA.banned(["cat"], vocabulary: small)
        let empty = TokenDFA.emptySequence(vocabularySize: small.count)
        let pairs: [(TokenDFA, TokenDFA)] = [(dog, cat), (cat, dog), (twoWords, dog), (noCat, twoWords),
                                              (dog.not(), cat), (empty, dog), (dog, empty), (try dog.or(cat), twoWords)]
        let sequences = allSequences(vocabularySize: small.count, maxLength: 4)
        for (n, (a, b)) in pairs.enumerated() {
            let joined = try a.then(b)
            let minimal = joined.minimized()
            XCTAssertEqual(minimal.minimized(), minimal)
            XCTAssertTrue(minimal.usefulStates().allSatisfy { $0 })
            for seq in sequences {
                let expected = concatenationAccepts(a, b, seq)
                XCTAssertEqual(joined.accepts(seq), expected, "pair \(n): \(seq)")
                XCTAssertEqual(minimal.accepts(seq), expected, "pair \(n) minimized: \(seq)")
            }
        }
    }

    func testSequenceOfThreeIsAssociative() throws {
        let dog = try TokenDFA.keyphrases([["dog"]], vocabulary: small)
        let comma = try TokenDFA.keyphrases([[","]], vocabulary: small)
        let cat = try TokenDFA.keyphrases([["cat"]], vocabulary: small)
        let all = try TokenDFA.sequence([dog, comma, cat], vocabularySize: small.count)
        let left = try dog.then(comma).then(cat)
        for seq in allSequences(vocabularySize: small.count, maxLength: 4) {
            XCTAssertEqual(all.accepts(seq), left.accepts(seq), "\(seq)")
        }
        let id = { (s: String) in Int32(self.small.firstIndex(of: Array(s.utf8))!) }
        XCTAssertTrue(all.accepts([id("dog"), id(","), id(" cat")]))
        XCTAssertFalse(all.accepts([id(" cat"), id(","), id(" dog")]))
        // The empty list is the empty sequence only.
        let none = try TokenDFA.sequence([], vocabularySize: small.count)
        XCTAssertTrue(none.accepts([]))
        XCTAssertFalse(none.accepts([id("s")]))
        XCTAssertThrowsError(try dog.then(TokenDFA.universal(vocabularySize: 3)))
    }

    /// Brute force for ordered keyphrases: whole-word occurrences o_0, o_1, … of the concepts
    /// (any alternative) with each one starting after the previous one ended.
    private func orderedBrute(_ text: [UInt8], _ concepts: [[[UInt8]]], from: Int = 0) -> Bool {
        guard let alternatives = concepts.first else { return true }
        for phrase in alternatives where phrase.count <= text.count {
            guard from <= text.count - phrase.count else { continue }
            for i in from...(text.count - phrase.count) where Array(text[i..<(i + phrase.count)]) == phrase {
                let before = i == 0 || !isWordByte(text[i - 1])
                let end = i + phrase.count
                let after = end == text.count || !isWordByte(text[end])
                if before && after && orderedBrute(text, Array(concepts.dropFirst()), from: end + 1) { return true }
            }
        }
        return false
    }

    func testOrderedKeyphrasesMatchBruteForce() throws {
        let conceptSets: [[[String]]] = [[["dog", "dogs"], ["cat"]], [["cat"], ["dog"]], [["dog"], ["dog"]],
                                         [["cat"], ["s"], ["dog", "do"]], [["s"]]]
        let sequences = allSequences(vocabularySize: small.count, maxLength: 4)
        for concepts in conceptSets {
            let dfa = try TokenDFA.orderedKeyphrases(concepts, vocabulary: small)
            let minimal = dfa.minimized()
            let unordered = try TokenDFA.keyphrases(concepts, vocabulary: small)
            let bytes = concepts.map { $0.map { Array($0.utf8) } }
            var acceptedSome = false
            for seq in sequences {
                let expected = orderedBrute(decodeBytes(seq, small), bytes)
                XCTAssertEqual(dfa.accepts(seq), expected, "\(concepts): \(seq)")
                XCTAssertEqual(minimal.accepts(seq), expected, "\(concepts) minimized: \(seq)")
                // In order implies present.
                if expected { XCTAssertTrue(unordered.accepts(seq)); acceptedSome = true }
            }
            XCTAssertTrue(acceptedSome, "\(concepts)")
        }
    }

    func testSpecOrderedAndThen() throws {
        let id = { (s: String) in Int32(toyVocabulary.firstIndex(of: Array(s.utf8))!) }
        let ordered = try ConstraintSpec.parse(#"{"keywords": [["dog"], ["cat"]], "ordered": true, "end_with_eos": true}"#)
        XCTAssertTrue(ordered.ordered)
        let dfa = try ordered.compile(vocabulary: toyVocabulary, eos: toyEOS)
        XCTAssertTrue(dfa.accepts([id("dog"), id(" cat"), toyEOS]))
        XCTAssertFalse(dfa.accepts([id("cat"), id(" dog"), toyEOS]))

        // "then": one word, then a piece containing "cat" and not "dog".
        let parts = try ConstraintSpec.parse(#"{"then": [{"min_words": 1, "max_words": 1}, {"keywords": [["cat"]], "banned": ["dog"]}], "max_tokens": 8}"#)
        XCTAssertEqual(parts.then.count, 2)
        let split = try parts.compile(vocabulary: toyVocabulary, eos: nil)
        XCTAssertTrue(split.accepts([id("dog"), id(" cat")]))
        XCTAssertTrue(split.accepts([id(" the"), id(" cat"), id(".")]))
        XCTAssertFalse(split.accepts([id(" the"), id(" dog"), id(" cat")]))   // second piece has "dog"
        XCTAssertFalse(split.accepts([id(" cat")]))                            // no first word

        func error(_ json: String) -> ConstraintSpecError? {
            do { _ = try ConstraintSpec.parse(json); return nil } catch { return error as? ConstraintSpecError }
        }
        XCTAssertEqual(error(#"{"then": [{"max_tokens": 3}]}"#),
                       .invalidValue(field: "then", reason: "part 0 may not set max_tokens or end_with_eos (they apply to the whole text)"))
        XCTAssertEqual(error(#"{"then": [{"keyword": []}]}"#), .unknownField("keyword"))
        XCTAssertEqual(error(#"{"then": {"keywords": []}}"#), .wrongType(field: "then", expected: "an array of constraint objects"))
        XCTAssertEqual(error(#"{"then": [{"min_words": 3, "max_words": 1}]}"#), .invalidValue(field: "max_words", reason: "below min_words"))
        XCTAssertEqual(error(#"{"ordered": 1}"#), .wrongType(field: "ordered", expected: "a boolean"))
    }
}

final class AtLeastWordsTests: XCTestCase {
    func testAtLeastWordsMatchesBruteForceAndStaysSmall() throws {
        let small: [[UInt8]] = ["dog", " dog", "s", " ", "cat", " cat", ",", "do", "g", ""].map { Array($0.utf8) }
        for n in 0...3 {
            let dfa = try TokenDFA.atLeastWords(n, vocabulary: small)
            let minimal = dfa.minimized()
            XCTAssertLessThanOrEqual(minimal.stateCount, 2 * (n + 1))
            for seq in allSequences(vocabularySize: small.count, maxLength: 4) {
                let expected = wordCountBrute(decodeBytes(seq, small)) >= n
                XCTAssertEqual(dfa.accepts(seq), expected, "n=\(n): \(seq)")
                XCTAssertEqual(minimal.accepts(seq), expected, "n=\(n) minimized: \(seq)")
            }
        }
        // An open-ended min_words in a spec compiles to the saturating DFA.
        let spec = try ConstraintSpec.parse(#"{"min_words": 3, "max_tokens": 500}"#)
        XCTAssertLessThanOrEqual(try spec.compile(vocabulary: small, eos: nil).stateCount, 8)
        XCTAssertThrowsError(try TokenDFA.atLeastWords(-1, vocabulary: small))
    }
}
