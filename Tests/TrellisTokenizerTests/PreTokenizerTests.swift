import TrellisTokenizer
import XCTest

/// Each pre-tokenizer scanner on tricky strings. Expected pieces are derived by hand from the
/// regex (see `PreTokenizer`'s comments); all were also checked with Python's `regex` package.
final class PreTokenizerTests: XCTestCase {
    func check(_ pre: PreTokenizer, _ text: String, _ expected: [String], file: StaticString = #filePath, line: UInt = #line) {
        let pieces = pre.split(text)
        XCTAssertEqual(pieces, expected, "\(pre) on \(String(reflecting: text))", file: file, line: line)
        XCTAssertEqual(pieces.joined(), text, "pieces must concatenate back", file: file, line: line)
    }

    func testGPT2() {
        check(.gpt2, "Hello world", ["Hello", " world"])
        // A whitespace run before a word gives its last space to the word (\s+(?!\S)).
        check(.gpt2, "  leading", [" ", " leading"])
        check(.gpt2, "x  y", ["x", " ", " y"])
        check(.gpt2, "  \n  x", ["  \n ", " x"])
        // A run at the end stays whole; a lone newline before a word is its own piece.
        check(.gpt2, "trailing   ", ["trailing", "   "])
        check(.gpt2, "a ", ["a", " "])
        check(.gpt2, "a\n\nb", ["a", "\n", "\n", "b"])
        // Only U+0020 joins a word; a tab or NBSP does not.
        check(.gpt2, "a\tb", ["a", "\t", "b"])
        check(.gpt2, "a\u{A0}b", ["a", "\u{A0}", "b"])
        // Contractions are lowercase only in GPT-2.
        check(.gpt2, "I'm they're WE'LL", ["I", "'m", " they", "'re", " WE", "'", "LL"])
        check(.gpt2, "don't", ["don", "'t"])
        check(.gpt2, "'sup", ["'s", "up"])
        check(.gpt2, "1234 abc", ["1234", " abc"])
        check(.gpt2, "hello!!! ok?", ["hello", "!!!", " ok", "?"])
        // A combining mark is not a letter: it splits the word.
        check(.gpt2, "e\u{301}te", ["e", "\u{301}", "te"])
        // Emoji, ZWJ and skin tones are all "other": one run.
        check(.gpt2, "👨\u{200D}👩\u{200D}👧", ["👨\u{200D}👩\u{200D}👧"])
        check(.gpt2, " 👨\u{200D}👩", [" 👨\u{200D}👩"])
        check(.gpt2, "東京 大学", ["東京", " 大学"])
        check(.gpt2, "¾½", ["¾½"])
    }

    func testSmolLMSplitsEveryDigitFirst() {
        check(.smollm, "abc123def", ["abc", "1", "2", "3", "def"])
        // The space before a digit cannot join it: the digit was cut out first.
        check(.smollm, "x 42", ["x", " ", "4", "2"])
        check(.smollm, "3.14", ["3", ".", "1", "4"])
        check(.smollm, "v1.2", ["v", "1", ".", "2"])
        check(.smollm, "¾ cup", ["¾", " cup"])
        check(.smollm, "I've 2 cats", ["I", "'ve", " ", "2", " cats"])
        check(.smollm, "٣٤", ["٣", "٤"])
    }

    func testLlama3() {
        check(.llamaBPE, "Hello world", ["Hello", " world"])
        check(.llamaBPE, "I'M HERE'S", ["I", "'M", " HERE", "'S"])
        check(.llamaBPE, "don't", ["don", "'t"])
        // Numbers in groups of at most three; a space before a number stays alone.
        check(.llamaBPE, "12345 678", ["123", "45", " ", "678"])
        check(.llamaBPE, "1111111", ["111", "111", "1"])
        // Any one non-letter, non-newline scalar may lead a word.
        check(.llamaBPE, "(hello)", ["(hello", ")"])
        check(.llamaBPE, "\tword", ["\tword"])
        check(.llamaBPE, "'hello", ["'hello"])
        check(.llamaBPE, "e\u{301}te", ["e", "\u{301}te"])
        // Whitespace with newlines ends after the last newline; punctuation takes trailing newlines.
        check(.llamaBPE, "a\n\n  b", ["a", "\n\n", " ", " b"])
        check(.llamaBPE, "hello world  \n", ["hello", " world", "  \n"])
        check(.llamaBPE, "x = 1;\n", ["x", " =", " ", "1", ";\n"])
        check(.llamaBPE, "}\r\n\r\nfoo", ["}\r\n\r\n", "foo"])
        check(.llamaBPE, " 😀😀", [" 😀😀"])
        check(.llamaBPE, "東京123", ["東京", "123"])
    }

    func testQwen2SplitsSingleDigits() {
        check(.qwen2, "12345", ["1", "2", "3", "4", "5"])
        check(.qwen2, "I'M 2x", ["I", "'M", " ", "2", "x"])
        check(.qwen2, "abc 1", ["abc", " ", "1"])
        check(.qwen2, "(hello)", ["(hello", ")"])
    }

    func testDegenerateInputs() {
        for pre in PreTokenizer.allCases {
            check(pre, "", [])
            check(pre, "a", ["a"])
            check(pre, "     ", ["     "])
            check(pre, "aaaa", ["aaaa"])
            check(pre, "\n", ["\n"])
        }
        check(.smollm, "1111", ["1", "1", "1", "1"])
        check(.gpt2, "1111", ["1111"])
    }

    /// 400 random strings over a tricky alphabet, split by Python's `regex` with the same patterns.
    func testRandomStringsMatchRegexSemantics() {
        var mismatches = 0
        for (index, line) in preTokenizerGoldenSplits.enumerated() {
            let fields = line.split(separator: "\u{2}", omittingEmptySubsequences: false).map(String.init)
            XCTAssertEqual(fields.count, 1 + preTokenizerGoldenOrder.count)
            let text = fields[0]
            for (k, name) in preTokenizerGoldenOrder.enumerated() {
                let expected = fields[k + 1].isEmpty
                    ? [] : fields[k + 1].split(separator: "\u{1}", omittingEmptySubsequences: false).map(String.init)
                let pre = try! PreTokenizer(ggufName: name)
                let got = pre.split(text)
                if got != expected {
                    mismatches += 1
                    XCTFail("case \(index) \(name) \(String(reflecting: text)): got \(got), want \(expected)")
                }
            }
        }
        XCTAssertEqual(mismatches, 0)
    }

    func testNamesAndAliases() throws {
        XCTAssertEqual(try PreTokenizer(ggufName: "smollm"), .smollm)
        XCTAssertEqual(try PreTokenizer(ggufName: "llama3"), .llamaBPE)
        XCTAssertEqual(try PreTokenizer(ggufName: "gpt-2"), .gpt2)
        XCTAssertThrowsError(try PreTokenizer(ggufName: "deepseek-coder")) { error in
            guard case TokenizerError.unsupportedPreTokenizer(let name, let supported) = error else {
                return XCTFail("wrong error \(error)")
            }
            XCTAssertEqual(name, "deepseek-coder")
            XCTAssertTrue(supported.contains("smollm") && supported.contains("llama-bpe")
                          && supported.contains("qwen2") && supported.contains("gpt2"))
            XCTAssertTrue("\(error)".contains("supported:"))
        }
    }
}
