/// The kind of a vocabulary entry, as GGUF's `tokenizer.ggml.token_type` stores it
/// (llama.cpp's numbering). It decides how a token is matched in text and how it decodes.
public enum TokenType: Int32, Sendable, CaseIterable {
    case undefined = 0
    /// Ordinary BPE token: its text is byte-level encoded.
    case normal = 1
    case unknown = 2
    /// BOS, EOS, chat markers: matched in text only with `parseSpecial`, decode to nothing.
    case control = 3
    /// Added plain-text tokens: always matched in text, decode to their raw text.
    case userDefined = 4
    case unused = 5
    case byte = 6

    /// Whether the token stands for no text (decodes to no bytes).
    var isTextless: Bool { self == .control || self == .unknown || self == .unused }
}
