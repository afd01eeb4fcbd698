@testable import TrellisTokenizer
import Foundation
import TrellisCore
import XCTest

/// BPE on vocabularies built from arrays in the test.
final class BPETinyVocabularyTests: XCTestCase {
    func testMergesApplyInRankOrder() throws {
        let t = try TinyVocabulary(merges: [("l", "l"), ("h", "e"), ("he", "ll"), ("hell", "o")]).make()
        XCTAssertEqual(t.encode("hello"), [t.id("hello")])
        XCTAssertEqual(t.pieces("hell"), ["hell"])
        XCTAssertEqual(t.pieces("helo"), ["he", "l", "o"])
        XCTAssertEqual(t.decode(t.encode("hello hello")), "hello hello")
        XCTAssertEqual(t.mergeCount, 4)
    }

    func testLowerRankWinsOverPosition() throws {
        let bcFirst = try TinyVocabulary(merges: [("b", "c"), ("a", "b")]).make()
        XCTAssertEqual(bcFirst.pieces("abc"), ["a", "bc"])
        let abFirst = try TinyVocabulary(merges: [("a", "b"), ("b", "c")]).make()
        XCTAssertEqual(abFirst.pieces("abc"), ["ab", "c"])
    }

    func testEqualRanksMergeLeftmostFirst() throws {
        let t = try TinyVocabulary(merges: [("a", "a")]).make()
        XCTAssertEqual(t.pieces("aaa"), ["aa", "a"])
        XCTAssertEqual(t.pieces("aaaaa"), ["aa", "aa", "a"])
        let t2 = try TinyVocabulary(merges: [("a", "a"), ("aa", "aa")]).make()
        XCTAssertEqual(t2.pieces("aaaaaaaaa"), ["aaaa", "aaaa", "a"])
    }

    func testBytesWithoutMergesStaySingleByteTokens() throws {
        let t = try TinyVocabulary().make()
        let ids = t.encode("é😀")
        XCTAssertEqual(ids.count, 2 + 4)
        XCTAssertEqual(t.decode(ids), "é😀")
        XCTAssertEqual(t.encode(""), [])
        // Each byte token stands for exactly its byte.
        for b in 0..<256 {
            XCTAssertEqual(t.tokenBytes(t.tokenID(forBytes: [UInt8(b)])!), [UInt8(b)])
        }
    }

    func testSpacesAreByteLevelEncoded() throws {
        let t = try TinyVocabulary(merges: [(" ", "w"), (" w", "o")]).make()
        XCTAssertEqual(t.tokenText(t.id(" wo")), "Ġwo")
        XCTAssertEqual(t.pieces("a wo"), ["a", " wo"])
    }

    func testIgnoreMergesTakesWholeWordsFromTheVocabulary() throws {
        var vocabulary = TinyVocabulary(merges: [("a", "b")])
        vocabulary.extraWords = ["abc"]
        XCTAssertEqual(try vocabulary.make(pre: .gpt2).pieces("abc"), ["ab", "c"])
        let llama = try vocabulary.make(pre: .llamaBPE)
        XCTAssertTrue(llama.ignoresMerges)
        XCTAssertEqual(llama.encode("abc"), [llama.id("abc")])
        XCTAssertEqual(llama.pieces("abcd"), ["ab", "c", "d"])
        XCTAssertEqual(try vocabulary.make(pre: .llamaBPE, ignoresMerges: false).pieces("abc"), ["ab", "c"])
    }

    func testMergeResultsMissingFromTheVocabularyFallBackToBytes() throws {
        var vocabulary = TinyVocabulary(merges: [("a", "b"), ("ab", "c")])
        vocabulary.omittedResults = ["ab"]
        let t = try vocabulary.make()
        XCTAssertEqual(t.encode("abc"), [t.id("abc")])
        XCTAssertEqual(t.pieces("abd"), ["a", "b", "d"])
        XCTAssertEqual(t.decode(t.encode("abd abc")), "abd abc")
    }

    func testBytesMissingFromTheVocabularyBecomeUnknown() throws {
        var vocabulary = TinyVocabulary(specials: [("<unk>", .unknown)])
        vocabulary.omittedBytes = [UInt8(ascii: "z")]
        let t = try vocabulary.make(unknown: 0)
        XCTAssertEqual(t.encode("aza"), [t.id("a"), 0, t.id("a")])
    }

    func testAddSpecialTokens() throws {
        let vocabulary = TinyVocabulary(specials: [("<s>", .control), ("</s>", .control)])
        let withBOS = try vocabulary.make(bos: 0, eos: 1, addsBOS: true)
        XCTAssertEqual(withBOS.encode("a", addSpecialTokens: true, parseSpecial: false), [0, withBOS.id("a")])
        XCTAssertEqual(withBOS.encode("a", addSpecialTokens: false, parseSpecial: false), [withBOS.id("a")])
        let withoutBOS = try vocabulary.make(bos: 0, eos: 1, addsBOS: false)
        XCTAssertEqual(withoutBOS.encode("a", addSpecialTokens: true, parseSpecial: false), [withoutBOS.id("a")])
        XCTAssertEqual(withoutBOS.endOfGenerationTokenIDs, [1])
    }

    func testFingerprintIsStableAndSensitive() throws {
        let base = TinyVocabulary(merges: [("a", "b"), ("b", "c")])
        let a = try base.make(), b = try base.make()
        XCTAssertEqual(a.fingerprint, b.fingerprint)
        XCTAssertEqual(a.fingerprint.count, 16)
        XCTAssertTrue(a.fingerprint.allSatisfy { $0.isHexDigit })
        XCTAssertNotEqual(a.fingerprint, try base.make(pre: .smollm).fingerprint)
        XCTAssertNotEqual(a.fingerprint, try TinyVocabulary(merges: [("b", "c"), ("a", "b")]).make().fingerprint)
        var other = base
        other.extraWords = ["x"]
        XCTAssertNotEqual(a.fingerprint, try other.make().fingerprint)
    }

    func testMalformedArraysThrowTypedErrors() {
        XCTAssertThrowsError(try BPETokenizer(tokens: [], merges: [], preTokenizer: .gpt2)) {
            XCTAssertEqual($0 as? TokenizerError, .emptyVocabulary)
        }
        XCTAssertThrowsError(try BPETokenizer(tokens: ["a", "b"], tokenTypes: [.normal], merges: [], preTokenizer: .gpt2)) {
            guard case TokenizerError.malformedMetadata(let key, _) = $0 else { return XCTFail("\($0)") }
            XCTAssertEqual(key, "tokenizer.ggml.token_type")
        }
        XCTAssertThrowsError(try BPETokenizer(tokens: ["a", "b", "ab"], merges: ["ab"], preTokenizer: .gpt2)) {
            XCTAssertEqual($0 as? TokenizerError, .malformedMerge(index: 0, text: "ab"))
        }
        XCTAssertThrowsError(try BPETokenizer(tokens: ["a"], merges: [], preTokenizer: .gpt2, eosTokenID: 5)) {
            XCTAssertEqual($0 as? TokenizerError,
                           .tokenIDOutOfRange(key: "tokenizer.ggml.eos_token_id", id: 5, vocabularySize: 1))
        }
    }

    /// The heap merge loop against its plain twin on random merge tables and words.
    func testHeapMergeMatchesNaiveRescanOnRandomInputs() throws {
        let seed = UInt64.random(in: 0..<UInt64.max)
        var rng = SplitMix64(seed: seed)
        for round in 0..<60 {
            // Random merges over a 3-letter alphabet, built bottom-up so every side is producible.
            var symbols = ["a", "b", "c"]
            var merges: [(String, String)] = []
            var seen = Set<String>()
            for _ in 0..<Int(rng.next() % 25) {
                let l = symbols[Int(rng.next() % UInt64(symbols.count))]
                let r = symbols[Int(rng.next() % UInt64(symbols.count))]
                guard l.count + r.count <= 8, seen.insert(l + " " + r).inserted else { continue }
                merges.append((l, r))
                if !symbols.contains(l + r) { symbols.append(l + r) }
            }
            // Shuffle ranks so rules can reference results of lower-priority rules.
            for i in stride(from: merges.count - 1, to: 0, by: -1) {
                merges.swapAt(i, Int(rng.next() % UInt64(i + 1)))
            }
            let t = try TinyVocabulary(merges: merges).make()
            let scratch = BPEMerger.Scratch()
            for _ in 0..<40 {
                let length = Int(rng.next() % 40)
                let word = (0..<length).map { _ in [UInt8(ascii: "a"), UInt8(ascii: "b"), UInt8(ascii: "c")][Int(rng.next() % 3)] }
                var fast: [Int32] = []
                word.withUnsafeBufferPointer { t.merger.merge($0, scratch: scratch, into: &fast) }
                let plain = t.merger.mergeNaively(word)
                XCTAssertEqual(fast, plain, "seed \(seed) round \(round) word \(String(decoding: word, as: UTF8.self)) merges \(merges)")
                if fast != plain { return }
            }
        }
    }
}

extension BPETinyVocabularyTests {
    /// The concrete `decode` and the protocol's default agree, control tokens and out-of-range ids included.
    func testConcreteDecodeMatchesProtocolDecode() throws {
        let t = try TinyVocabulary(specials: [("<s>", .control), ("<tag>", .userDefined)], merges: [("a", "b")]).make()
        let generic: any TextTokenizer = t
        let ids = t.encode("ab<tag>é😀 x", parseSpecial: true) + [0, -1, 99_999] + Array(t.encode("😀").prefix(2))
        XCTAssertEqual(t.decode(ids), generic.decode(ids))
        XCTAssertEqual(t.decode(ids), "ab<tag>é😀 x\u{FFFD}")
    }
}

extension BPETinyVocabularyTests {
    /// One 200 000-byte word (a single pre-token): the heap loop handles it in milliseconds,
    /// where rescanning all pairs after each merge would take on the order of 10^10 steps.
    func testLongWordIsNotQuadratic() throws {
        let t = try TinyVocabulary(merges: [("a", "a"), ("aa", "aa"), ("aaaa", "aaaa")]).make()
        let word = String(repeating: "a", count: 200_000)
        let start = DispatchTime.now().uptimeNanoseconds
        let ids = t.encode(word)
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        XCTAssertEqual(ids, [TokenID](repeating: t.id("aaaaaaaa"), count: 25_000))
        XCTAssertLessThan(seconds, 2, "merge loop too slow on a long word")
    }
}
