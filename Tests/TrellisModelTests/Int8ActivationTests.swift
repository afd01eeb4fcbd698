import XCTest
import TrellisCore
import TrellisKernels
import TrellisTestSupport
@testable import TrellisModel

/// The default model with int8 activations against the same model with float32 activations:
/// prompts (prefill) and a batched decode step of eight sequences, every logit compared, and the
/// reference bounds (`ReferenceLogitsTests`) checked with int8 on.
final class Int8ActivationTests: XCTestCase {
    func models() throws -> (float: TransformerModel, int8: TransformerModel) {
        guard let path = TestPaths.defaultModel else {
            throw XCTSkip("default model absent: run `trellis model fetch` (or set TRELLIS_MODEL)")
        }
        return (try TransformerModel(path: path, options: RuntimeOptions(int8ActivationRows: Int.max)),
                try TransformerModel(path: path, options: RuntimeOptions(int8ActivationRows: 2)))
    }

    /// Logits after each prompt (one row each), all eight prompts in one batched call, then one
    /// decode step of eight rows (token 28 appended to every sequence).
    func batchedLogits(_ model: TransformerModel, prompts: [[TokenID]]) throws -> [[Float]] {
        let sequences = try prompts.map { _ in try model.makeSequence() }
        defer { sequences.forEach(model.release) }
        let logits = LogitMatrix(rows: prompts.count, width: model.vocabularySize)
        try model.extend(zip(sequences, prompts).map { SequenceExtension(sequence: $0, tokens: $1) }, logits: logits)
        var rows = (0..<prompts.count).map { logits.rowArray($0) }
        try model.extend(sequences.map { SequenceExtension(sequence: $0, tokens: [28]) }, logits: logits)
        rows += (0..<prompts.count).map { logits.rowArray($0) }
        return rows
    }

    func testInt8LogitsStayCloseToFloat() throws {
        let (float, int8) = try models()
        var prompts = try (RealModel.logitCases() + RealModel.greedyCases()).map { $0.promptIDs.map(TokenID.init) }
        prompts = Array((prompts + prompts).prefix(8))
        let a = try batchedLogits(float, prompts: prompts), b = try batchedLogits(int8, prompts: prompts)
        var worst: Float = 0, sumSquares = 0.0, count = 0
        for (x, y) in zip(a, b) {
            for (u, v) in zip(x, y) {
                worst = max(worst, abs(u - v))
                sumSquares += Double((u - v) * (u - v))
                count += 1
            }
            XCTAssertEqual(x.topIndices(1), y.topIndices(1), "argmax changed")
        }
        print("int8 vs float32 activations, \(a.count) logit rows: max |diff| \(worst), rms \(sqrt(sumSquares / Double(count)))")
        XCTAssertLessThan(worst, 0.5)
        XCTAssertGreaterThan(worst, 0, "int8 path was not taken")
    }

    func testInt8StaysWithinReferenceBounds() throws {
        let (_, int8) = try models()
        var worst: Float = 0
        for c in try RealModel.logitCases() {
            let logits = try int8.logits(forPrompt: c.promptIDs.map(TokenID.init))
            XCTAssertEqual(logits.topIndices(10), c.top10IDs)
            for (id, value) in zip(c.top10IDs, c.top10Logits) {
                XCTAssertEqual(logits[id], value, accuracy: referenceLogitTolerance, "logit of \(id)")
                worst = max(worst, abs(logits[id] - value))
            }
        }
        print("int8 activations: max |runtime - reference| over top-10 logits: \(worst)")
    }
}
