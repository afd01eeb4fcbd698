import Foundation
import XCTest
import TrellisCore
import TrellisTestSupport
@testable import TrellisModel

/// The default model, loaded once for all real-model tests, or an XCTSkip saying how to get it.
enum RealModel {
    nonisolated(unsafe) private static var loaded: TransformerModel?

    static func shared() throws -> TransformerModel {
        if let loaded { return loaded }
        guard let path = TestPaths.defaultModel else {
            throw XCTSkip("default model absent: run `trellis model fetch` (or set TRELLIS_MODEL) to run real-model tests")
        }
        let model = try TransformerModel(path: path)
        loaded = model
        return model
    }

    /// A JSON file from the shared reference folder, or an XCTSkip naming it.
    static func reference(_ name: String) throws -> Any {
        guard let path = TestPaths.reference(name) else {
            throw XCTSkip("reference file \(name) not found beside the package (shared/reference)")
        }
        return try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path)))
    }
}

extension Array where Element == Float {
    /// Indices of the k largest values, largest first.
    func topIndices(_ k: Int) -> [Int] {
        let order: [Int] = indices.sorted { self[$0] > self[$1] }
        return [Int](order.prefix(k))
    }
}
