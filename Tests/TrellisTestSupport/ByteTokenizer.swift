import TrellisCore

/// A tokenizer whose tokens are single bytes (ids 0-255) plus BOS 256 and EOS 257, for tests
/// that need real text round trips without a model's vocabulary.
public struct ByteTokenizer: TextTokenizer {
    public init() {}
    public var vocabularySize: Int { 258 }
    public var bosTokenID: TokenID? { 256 }
    public var eosTokenID: TokenID? { 257 }
    public var addsBOS: Bool { false }
    public func encode(_ text: String, parseSpecial: Bool) -> [TokenID] { text.utf8.map { TokenID($0) } }
    public func tokenBytes(_ token: TokenID) -> [UInt8] { token < 256 && token >= 0 ? [UInt8(token)] : [] }
    public func isSpecial(_ token: TokenID) -> Bool { token >= 256 }
}
