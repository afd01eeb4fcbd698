import XCTest
import TrellisCore
import TrellisKernels
import TrellisTestSupport
@testable import TrellisModel

/// The default model with int16 activations (the default where the CPU has AVX-512 VNNI) against
/// the same model with float32 activations: prompts (prefill) and a batched decode step of eight
/// sequences, every logit compared. Pins the size of the difference so a kernel bug shows; the
/// reference-logit tests check the default path against the independent reference.
final class Int16ActivationTests: XCTestCase {
    func models() throws -> (float: TransformerModel, int16: TransformerModel) {
        guard let path = TestPaths.defaultModel else {
            throw XCTSkip("default model absent: run `trellis model fetch` (or set TRELLIS_MODEL)")
        }
        guard InterleavedWeights.isFast else { throw XCTSkip("no AVX-512 VNNI: int16 activations are off here") }
        return (try TransformerModel(path: path, options: RuntimeOptions(int16Activations: false)),
                try TransformerModel(path: path, options: RuntimeOptions(int16Activations: true)))
    }

    /// Logits after each prompt (one row each), all eight prompts in one batched call, then one
    /// decode step of eight rows (token 28 appended to every sequence).
    static func batchedLogits(_ model: TransformerModel, prompts: [[TokenID]]) throws -> [[Float]] {
        let sequences = try prompts.map { _ in try model.makeSequence() }
        defer { sequences.forEach(model.release) }
        let logits = LogitMatrix(rows: prompts.count, width: model.vocabularySize)
        try model.extend(zip(sequences, prompts).map { SequenceExtension(sequence: $0, tokens: $1) }, logits: logits)
        var rows = (0..<prompts.count).map { logits.rowArray($0) }
        try model.extend(sequences.map { SequenceExtension(sequence: $0, tokens: [28]) }, logits: logits)
        rows += (0..<prompts.count).map { logits.rowArray($0) }
        return rows
    }

    func testInt16LogitsStayCloseToFloat() throws {
        let (float, int16) = try models()
        var prompts = try (RealModel.logitCases() + RealModel.greedyCases()).map { $0.promptIDs.map(TokenID.init) }
        prompts = Array((prompts + prompts).prefix(8))
        let a = try Self.batchedLogits(float, prompts: prompts), b = try Self.batchedLogits(int16, prompts: prompts)
        var worst: Float = 0, sumSquares = 0.0, count = 0
        for (x, y) in zip(a, b) {
            for (u, v) in zip(x, y) {
                worst = max(worst, abs(u - v))
                sumSquares += Double((u - v) * (u - v))
                count += 1
            }
        }
        print("int16 vs float32 activations, \(a.count) logit rows: max |diff| \(worst), rms \(sqrt(sumSquares / Double(count)))")
        XCTAssertLessThan(worst, 0.05)
        XCTAssertGreaterThan(worst, 0, "int16 path was not taken")
        XCTAssertGreaterThan(int16.interleavedWeightBytes, 0)
        XCTAssertEqual(float.interleavedWeightBytes, 0)
    }
}
