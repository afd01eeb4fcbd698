import Foundation
import TrellisCore
import TrellisGGUF
import TrellisTestSupport
import TrellisTokenizer
import XCTest

/// The default model's tokenizer against llama.cpp's ids in `tokenizer_smollm2.json`.
final class SmolLM2GoldenTests: XCTestCase {
    struct Reference: Decodable {
        struct Case: Decodable {
            let text: String
            let ids: [Int32]
            let roundtrip: Bool
        }
        let cases: [Case]
    }

    /// The tokenizer of the default model, loaded once for all tests of this class.
    nonisolated(unsafe) static var cached: BPETokenizer?

    static func tokenizer() throws -> BPETokenizer {
        if let cached { return cached }
        guard let path = TestPaths.defaultModel else {
            throw XCTSkip("default model absent (models/SmolLM2-135M-Instruct.Q4_1.gguf or TRELLIS_MODEL); fetch it with the model setup script")
        }
        let tokenizer = try BPETokenizer(path: path)
        cached = tokenizer
        return tokenizer
    }

    static func reference() throws -> Reference {
        guard let path = TestPaths.reference("tokenizer_smollm2.json") else {
            throw XCTSkip("reference shared/reference/tokenizer_smollm2.json absent")
        }
        return try JSONDecoder().decode(Reference.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
    }

    func testEveryReferenceCaseGivesLlamaCppIdsAndDecodesBack() throws {
        let tokenizer = try Self.tokenizer()
        let reference = try Self.reference()
        XCTAssertEqual(reference.cases.count, 137)
        var failures = 0
        for (index, c) in reference.cases.enumerated() {
            let ids = tokenizer.encode(c.text, parseSpecial: false)
            if ids != c.ids {
                failures += 1
                XCTFail("case \(index) \(String(reflecting: c.text)): got \(ids), want \(c.ids)")
            }
            XCTAssertEqual(tokenizer.decode(c.ids), c.text, "case \(index) does not decode back")
        }
        XCTAssertEqual(failures, 0)
    }

    struct LogitsPrompt: Decodable {
        let text: String
        let prompt_ids: [Int32]
    }

    /// The prompts of `logits_smollm2.json` (one in ChatML with its markers) with special tokens parsed.
    func testReferencePromptsWithParsedSpecialTokens() throws {
        let tokenizer = try Self.tokenizer()
        guard let path = TestPaths.reference("logits_smollm2.json") else {
            throw XCTSkip("reference shared/reference/logits_smollm2.json absent")
        }
        let prompts = try JSONDecoder().decode([LogitsPrompt].self, from: Data(contentsOf: URL(fileURLWithPath: path)))
        XCTAssertTrue(prompts.contains { $0.text.contains("<|im_start|>") })
        for prompt in prompts {
            XCTAssertEqual(tokenizer.encode(prompt.text, parseSpecial: true), prompt.prompt_ids,
                           String(reflecting: prompt.text))
        }
    }

    func testChatMLMarkersParseToControlTokens() throws {
        let t = try Self.tokenizer()
        let ids = t.encode("<|im_start|>user\nHi<|im_end|>\n", parseSpecial: true)
        XCTAssertEqual(ids.first, 1)
        XCTAssertEqual(ids.filter { t.isSpecial($0) }, [1, 2])
        XCTAssertEqual(Array(ids[1...]), [t.tokenID(forText: "user")!] + t.encode("\nHi") + [2] + t.encode("\n"))
        XCTAssertEqual(t.decode(ids), "user\nHi\n")
        // Unparsed, the same text is 17 plain tokens (the golden case).
        XCTAssertEqual(t.encode("<|im_start|>user\nHi<|im_end|>").count, 17)
    }

    func testVocabularyMetadata() throws {
        let t = try Self.tokenizer()
        XCTAssertEqual(t.vocabularySize, 49152)
        XCTAssertEqual(t.mergeCount, 48900)
        XCTAssertEqual(t.preTokenizer, .smollm)
        XCTAssertEqual(t.bosTokenID, 1)
        XCTAssertEqual(t.eosTokenID, 2)
        XCTAssertEqual(t.unknownTokenID, 0)
        XCTAssertEqual(t.paddingTokenID, 2)
        XCTAssertFalse(t.addsBOS)
        XCTAssertEqual(t.tokenText(1), "<|im_start|>")
        XCTAssertEqual(t.tokenType(1), .control)
        XCTAssertEqual((0..<49152).filter { t.isSpecial(TokenID($0)) }.count, 17)
        XCTAssertEqual(t.tokenBytes(2), [])
        XCTAssertEqual(t.tokenBytes(38699), Array(" Hello".utf8))
        XCTAssertEqual(t.tokenID(forBytes: Array(" Hello".utf8)), 38699)
        XCTAssertEqual(t.endOfGenerationTokenIDs, [2])
        // Pinned: indexes built for this tokenizer store this value; a change must be deliberate.
        XCTAssertEqual(t.fingerprint, Self.pinnedFingerprint)
        print("SmolLM2 tokenizer: fingerprint \(t.fingerprint), \(t.sizeInBytes) bytes of tables")
    }

    static let pinnedFingerprint = "f695b2125b77ce16"

    /// The model's own `tokenizer.chat_template`, which adds SmolLM's default system message.
    func testChatTemplateFromTheModel() throws {
        let t = try Self.tokenizer()
        let template = try t.chatTemplate()
        let system = "You are a helpful AI assistant named SmolLM, trained by Hugging Face"
        XCTAssertEqual(template.style, .chatML(defaultSystemMessage: system))
        let prompt = template.render([.user("Hi")])
        XCTAssertEqual(prompt, "<|im_start|>system\n\(system)<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n")
        let ids = t.encode(prompt, parseSpecial: true)
        XCTAssertEqual(ids.filter { t.isSpecial($0) }, [1, 2, 1, 2, 1])
        XCTAssertEqual(template.render([.system("S"), .user("Hi")], addGenerationPrompt: false),
                       "<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n")
    }

    /// Token-by-token streaming reproduces every reference string and never emits U+FFFD for
    /// valid text, although emoji and CJK split across byte-level tokens.
    func testStreamingDecoderReassemblesEveryCase() throws {
        let tokenizer = try Self.tokenizer()
        let reference = try Self.reference()
        var splitCharacters = 0
        for c in reference.cases {
            var decoder = StreamingDecoder(tokenizer: tokenizer)
            var text = ""
            for id in c.ids {
                let chunk = decoder.append(id)
                XCTAssertFalse(chunk.unicodeScalars.contains("\u{FFFD}"), String(reflecting: c.text))
                if decoder.pendingByteCount > 0 { splitCharacters += 1 }
                text += chunk
            }
            text += decoder.finish()
            XCTAssertEqual(text, c.text)
        }
        XCTAssertGreaterThan(splitCharacters, 10, "the cases should exercise characters split across tokens")
    }

    func testLoadTime() throws {
        guard let path = TestPaths.defaultModel else { throw XCTSkip("default model absent") }
        let start = DispatchTime.now().uptimeNanoseconds
        let gguf = try GGUFFile(path: path)
        let opened = DispatchTime.now().uptimeNanoseconds
        _ = try BPETokenizer(gguf: gguf)
        let built = DispatchTime.now().uptimeNanoseconds
        print(String(format: "SmolLM2 tokenizer: GGUF open %.1f ms, tokenizer build %.1f ms",
                     Double(opened - start) / 1e6, Double(built - opened) / 1e6))
    }
}
