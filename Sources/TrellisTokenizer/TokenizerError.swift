/// What can be wrong when building a tokenizer or a chat template, with the key, value or
/// index involved and, for unsupported choices, the list of what is supported.
public enum TokenizerError: Error, CustomStringConvertible, Equatable, Sendable {
    /// `tokenizer.ggml.model` names a tokenizer family this module does not implement.
    case unsupportedModel(String, supported: [String])
    /// `tokenizer.ggml.pre` names a pre-tokenizer this module does not implement.
    case unsupportedPreTokenizer(String, supported: [String])
    /// A required metadata key is absent.
    case missingMetadata(key: String)
    /// A metadata value has the wrong type, length or range.
    case malformedMetadata(key: String, reason: String)
    /// A merge rule is not of the form "left right".
    case malformedMerge(index: Int, text: String)
    /// A special token id (BOS, EOS, ...) lies outside the vocabulary.
    case tokenIDOutOfRange(key: String, id: Int, vocabularySize: Int)
    /// The vocabulary has no tokens.
    case emptyVocabulary
    /// The model has no `tokenizer.chat_template`.
    case missingChatTemplate
    /// The chat template is neither ChatML-like nor Llama-3-like.
    case unsupportedChatTemplate(excerpt: String)

    public var description: String {
        switch self {
        case .unsupportedModel(let name, let supported):
            return "tokenizer model '\(name)' is not supported (supported: \(supported.joined(separator: ", ")))"
        case .unsupportedPreTokenizer(let name, let supported):
            return "pre-tokenizer '\(name)' is not supported (supported: \(supported.joined(separator: ", ")))"
        case .missingMetadata(let key):
            return "tokenizer metadata key \(key) is missing"
        case .malformedMetadata(let key, let reason):
            return "tokenizer metadata key \(key) is malformed: \(reason)"
        case .malformedMerge(let index, let text):
            return "merge #\(index) '\(text)' is not of the form 'left right'"
        case .tokenIDOutOfRange(let key, let id, let size):
            return "\(key) = \(id) lies outside the vocabulary of \(size) tokens"
        case .emptyVocabulary:
            return "the tokenizer vocabulary is empty"
        case .missingChatTemplate:
            return "the model has no chat template (tokenizer.chat_template)"
        case .unsupportedChatTemplate(let excerpt):
            return "chat template is not supported (supported: ChatML with <|im_start|>, Llama 3 with <|start_header_id|>): \(excerpt)"
        }
    }
}
