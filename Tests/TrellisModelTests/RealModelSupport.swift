import Foundation
import XCTest
import TrellisCore
import TrellisTestSupport
@testable import TrellisModel

/// The default model, loaded once for all real-model tests, or an XCTSkip saying how to get it.
enum RealModel {
    nonisolated(unsafe) private static var loaded: TransformerModel?
    nonisolated(unsafe) private static var loadedFloat: TransformerModel?

    /// With the default options (int16 activations where the CPU has AVX-512 VNNI).
    static func shared() throws -> TransformerModel {
        if let loaded { return loaded }
        let model = try TransformerModel(path: try path())
        loaded = model
        return model
    }

    /// With float32 activations everywhere.
    static func sharedFloat() throws -> TransformerModel {
        if let loadedFloat { return loadedFloat }
        let model = try TransformerModel(path: try path(), options: RuntimeOptions(int16Activations: false))
        loadedFloat = model
        return model
    }

    private static func path() throws -> String {
        guard let path = TestPaths.defaultModel else {
            throw XCTSkip("default model absent: run `trellis model fetch` (or set TRELLIS_MODEL) to run real-model tests")
        }
        return path
    }

    /// The reference's logit cases: from shared/reference when present, else the embedded copy.
    static func logitCases() throws -> [ReferenceCase] {
        guard let path = TestPaths.reference("logits_smollm2.json") else { return ReferenceGolden.logitCases }
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as! [[String: Any]]
        return json.map { c in
            ReferenceCase(promptIDs: c["prompt_ids"] as! [Int], top10IDs: c["top10_ids"] as! [Int],
                          top10Logits: (c["top10_logits"] as! [Double]).map(Float.init),
                          greedyIDs: c["greedy32_ids"] as! [Int])
        }
    }

    /// smollm2_greedy.json's prompts: from shared/reference when present, else the embedded copy.
    static func greedyCases() throws -> [ReferenceCase] {
        guard let path = TestPaths.reference("smollm2_greedy.json") else { return ReferenceGolden.greedyCases }
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as! [String: Any]
        return (json["prompts"] as! [[String: Any]]).map { p in
            ReferenceCase(promptIDs: p["prompt_ids"] as! [Int], top10IDs: [], top10Logits: [],
                          greedyIDs: p["greedy_ids"] as! [Int])
        }
    }
}

extension Array where Element == Float {
    /// Indices of the k largest values, largest first.
    func topIndices(_ k: Int) -> [Int] {
        let order: [Int] = indices.sorted { self[$0] > self[$1] }
        return [Int](order.prefix(k))
    }
}
