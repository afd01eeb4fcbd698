/// Turns text into token ids and back, as one model's vocabulary defines them.
///
/// Text is bytes inside the engine: `tokenBytes(_:)` gives the raw bytes a token stands for,
/// so that a decoder can carry incomplete UTF-8 across tokens and only build a `String` at the edge.
public protocol TextTokenizer: Sendable {
    /// Number of entries in the vocabulary (the width of a logit row).
    var vocabularySize: Int { get }
    var bosTokenID: TokenID? { get }
    var eosTokenID: TokenID? { get }
    /// Whether the model expects a BOS token in front of a prompt.
    var addsBOS: Bool { get }

    /// Token ids for `text`. With `parseSpecial`, special tokens written in the text
    /// (such as `<|im_start|>`) become their ids; otherwise they are tokenized as plain text.
    func encode(_ text: String, parseSpecial: Bool) -> [TokenID]

    /// The bytes that `token` stands for (empty for control tokens).
    func tokenBytes(_ token: TokenID) -> [UInt8]

    /// Whether `token` is a control/special token (BOS, EOS, chat markers).
    func isSpecial(_ token: TokenID) -> Bool
}

extension TextTokenizer {
    public func encode(_ text: String) -> [TokenID] { encode(text, parseSpecial: false) }

    /// The text of `tokens`, with invalid or incomplete UTF-8 replaced by U+FFFD.
    public func decode(_ tokens: some Sequence<TokenID>) -> String {
        var bytes: [UInt8] = []
        for token in tokens { bytes.append(contentsOf: tokenBytes(token)) }
        return String(decoding: bytes, as: UTF8.self)
    }
}
