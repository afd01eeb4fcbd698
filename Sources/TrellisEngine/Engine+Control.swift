import Foundation
import TrellisControl
import TrellisCore

extension Engine {
    /// The model file's identity for binding HMMs: file name and size in bytes.
    public var modelFingerprint: String {
        let size = (try? FileManager.default.attributesOfItem(atPath: modelPath)[.size] as? NSNumber)?.int64Value ?? -1
        return "\((modelPath as NSString).lastPathComponent):\(size)"
    }

    /// The token that ends a constrained output: the chat template's end of turn, else EOS.
    public var controlEndToken: TokenID? { tokenizer.endOfTurnTokenID ?? tokenizer.eosTokenID }

    public func makeConstrainedGenerator() throws -> ConstrainedGenerator {
        guard let end = controlEndToken else { throw ControlError.invalidArgument("the tokenizer has no EOS or end-of-turn token") }
        return ConstrainedGenerator(model: model, tokenizer: tokenizer, endToken: end, stopTokens: stopTokens)
    }
}
