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
}
