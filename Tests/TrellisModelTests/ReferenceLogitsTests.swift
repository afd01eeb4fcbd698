import XCTest
import TrellisCore
@testable import TrellisModel

/// The bounds against the float32 numpy reference (`ref_llama_numpy.py`).
let referenceLogitTolerance: Float = 0.1
/// Below this top-2 margin a greedy step is a near-tie that rounding may legitimately decide.
let nearTieMargin: Float = 0.1

/// The runtime against `logits_smollm2.json` and `smollm2_greedy.json` on the default model.
final class ReferenceLogitsTests: XCTestCase {
    func testTop10LogitsMatchReference() throws {
        let model = try RealModel.shared()
        let cases = try RealModel.reference("logits_smollm2.json") as! [[String: Any]]
        var worst: Float = 0
        for c in cases {
            let prompt = (c["prompt_ids"] as! [Int]).map(TokenID.init)
            let ids = c["top10_ids"] as! [Int]
            let expected = (c["top10_logits"] as! [Double]).map(Float.init)
            let logits = try model.logits(forPrompt: prompt)
            XCTAssertEqual(logits.topIndices(10), ids, "top-10 ids for \(prompt.prefix(6))…")
            for (id, value) in zip(ids, expected) {
                XCTAssertEqual(logits[id], value, accuracy: referenceLogitTolerance, "logit of \(id)")
                worst = max(worst, abs(logits[id] - value))
            }
        }
        print("max |runtime - reference| over top-10 logits: \(worst)")
    }

    func testGreedyContinuationsMatchReferenceUntilNearTie() throws {
        let model = try RealModel.shared()
        var cases: [(prompt: [Int], greedy: [Int])] = []
        for c in try RealModel.reference("logits_smollm2.json") as! [[String: Any]] {
            cases.append((c["prompt_ids"] as! [Int], c["greedy32_ids"] as! [Int]))
        }
        let greedyFile = try RealModel.reference("smollm2_greedy.json") as! [String: Any]
        for p in greedyFile["prompts"] as! [[String: Any]] {
            cases.append((p["prompt_ids"] as! [Int], p["greedy_ids"] as! [Int]))
        }
        for (prompt, expected) in cases {
            let steps = try model.greedySteps(prompt: prompt.map(TokenID.init), count: expected.count)
            var compared = 0
            for (i, step) in steps.enumerated() {
                XCTAssertEqual(Int(step.token), expected[i], "step \(i) of \(prompt.prefix(6))…")
                compared += 1
                if step.margin < nearTieMargin || Int(step.token) != expected[i] { break }
            }
            let agreeing = zip(steps, expected).prefix { Int($0.0.token) == $0.1 }.count
            print("greedy \(prompt.prefix(5))…: first \(compared) steps checked (stopped at margin < \(nearTieMargin)); "
                  + "\(agreeing)/\(expected.count) identical to the reference")
        }
    }
}
