import Foundation
import TrellisCore
import TrellisGGUF
import TrellisTestSupport
import TrellisTokenizer
import XCTest

/// Building a tokenizer from GGUF files written in the test, well-formed and malformed.
final class GGUFMetadataTests: XCTestCase {
    /// Metadata of a small valid tokenizer; each test removes or spoils one entry.
    func validMetadata() -> [(String, GGUFValue)] {
        var tokens: [String] = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
        for b in 0..<256 { tokens.append(String(Unicode.Scalar(TinyVocabulary.byteLevelScalars[b])!)) }
        tokens += ["he", "ll", "hell", "hello", "Ġw"]
        var types = [Int32](repeating: 1, count: tokens.count)
        types[0] = 3; types[1] = 3; types[2] = 3
        return [
            ("tokenizer.ggml.model", .string("gpt2")),
            ("tokenizer.ggml.pre", .string("smollm")),
            ("tokenizer.ggml.tokens", .array(tokens.map { .string($0) })),
            ("tokenizer.ggml.token_type", .array(types.map { .int32($0) })),
            ("tokenizer.ggml.merges", .array(["h e", "l l", "he ll", "hell o", "Ġ w"].map { .string($0) })),
            ("tokenizer.ggml.bos_token_id", .uint32(1)),
            ("tokenizer.ggml.eos_token_id", .uint32(2)),
            ("tokenizer.ggml.unknown_token_id", .uint32(0)),
            ("tokenizer.ggml.padding_token_id", .uint32(2)),
            ("tokenizer.ggml.add_bos_token", .bool(false)),
            ("tokenizer.chat_template", .string("{{ '<|im_start|>' + message['role'] }}")),
        ]
    }

    func load(_ metadata: [(String, GGUFValue)]) throws -> BPETokenizer {
        let writer = GGUFWriter()
        for (key, value) in metadata { writer.add(key, value) }
        let path = try writer.write(to: temporaryPath(".gguf"))
        defer { try? FileManager.default.removeItem(atPath: path) }
        return try BPETokenizer(path: path)
    }

    func replacing(_ key: String, with value: GGUFValue?) -> [(String, GGUFValue)] {
        var metadata = validMetadata().filter { $0.0 != key }
        if let value { metadata.append((key, value)) }
        return metadata
    }

    func assertThrows(_ metadata: [(String, GGUFValue)], _ expected: TokenizerError,
                      file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try load(metadata), file: file, line: line) { error in
            XCTAssertEqual(error as? TokenizerError, expected, file: file, line: line)
        }
    }

    func testValidMetadataLoads() throws {
        let t = try load(validMetadata())
        XCTAssertEqual(t.vocabularySize, 3 + 256 + 5)
        XCTAssertEqual(t.preTokenizer, .smollm)
        XCTAssertEqual(t.bosTokenID, 1)
        XCTAssertEqual(t.eosTokenID, 2)
        XCTAssertEqual(t.unknownTokenID, 0)
        XCTAssertEqual(t.paddingTokenID, 2)
        XCTAssertFalse(t.addsBOS)
        XCTAssertEqual(t.mergeCount, 5)
        // 3 specials + 256 bytes, then he, ll, hell, hello (262), Ġw (263).
        XCTAssertEqual(t.encode("hello w"), [262, 263])
        XCTAssertEqual(t.encode("hello wow"), [262, 263, 3 + 0x6F, 3 + 0x77])
        XCTAssertEqual(t.encode("<|im_start|>hello", parseSpecial: true).first, 1)
        XCTAssertEqual(try t.chatTemplate().style, .chatML(defaultSystemMessage: nil))
        XCTAssertGreaterThan(t.sizeInBytes, 0)
    }

    func testMissingMergesIsATypedError() {
        assertThrows(replacing("tokenizer.ggml.merges", with: nil), .missingMetadata(key: "tokenizer.ggml.merges"))
    }

    func testMissingTokensOrModelOrPre() {
        assertThrows(replacing("tokenizer.ggml.tokens", with: nil), .missingMetadata(key: "tokenizer.ggml.tokens"))
        assertThrows(replacing("tokenizer.ggml.model", with: nil), .missingMetadata(key: "tokenizer.ggml.model"))
        assertThrows(replacing("tokenizer.ggml.pre", with: nil), .missingMetadata(key: "tokenizer.ggml.pre"))
    }

    func testUnknownPreTokenizerNamesWhatIsSupported() {
        XCTAssertThrowsError(try load(replacing("tokenizer.ggml.pre", with: .string("falcon")))) { error in
            guard case TokenizerError.unsupportedPreTokenizer("falcon", let supported) = error else {
                return XCTFail("\(error)")
            }
            XCTAssertEqual(supported, PreTokenizer.supportedNames)
        }
    }

    func testUnsupportedTokenizerModel() {
        assertThrows(replacing("tokenizer.ggml.model", with: .string("llama")),
                     .unsupportedModel("llama", supported: ["gpt2"]))
    }

    func testMalformedValues() {
        assertThrows(replacing("tokenizer.ggml.token_type", with: .array([.int32(1), .int32(1)])),
                     .malformedMetadata(key: "tokenizer.ggml.token_type", reason: "2 types for 264 tokens"))
        var types = [GGUFValue](repeating: .int32(1), count: 264)
        types[7] = .int32(9)
        assertThrows(replacing("tokenizer.ggml.token_type", with: .array(types)),
                     .malformedMetadata(key: "tokenizer.ggml.token_type", reason: "entry 7 is 9, not a type in 0...6"))
        assertThrows(replacing("tokenizer.ggml.tokens", with: .array([.int32(1)])),
                     .malformedMetadata(key: "tokenizer.ggml.tokens", reason: "value is not an array of strings"))
        assertThrows(replacing("tokenizer.ggml.pre", with: .uint32(3)),
                     .malformedMetadata(key: "tokenizer.ggml.pre", reason: "value is not a string"))
        assertThrows(replacing("tokenizer.ggml.merges", with: .array([.string("h e"), .string("ll")])),
                     .malformedMerge(index: 1, text: "ll"))
        assertThrows(replacing("tokenizer.ggml.eos_token_id", with: .uint32(5000)),
                     .tokenIDOutOfRange(key: "tokenizer.ggml.eos_token_id", id: 5000, vocabularySize: 264))
    }

    func testNegativeIdsMeanAbsent() throws {
        let t = try load(replacing("tokenizer.ggml.padding_token_id", with: .int32(-1)))
        XCTAssertNil(t.paddingTokenID)
    }
}
