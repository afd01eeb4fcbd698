extension BPETokenizer {
    /// The chat template of the model this tokenizer came from.
    /// - Throws: `TokenizerError.missingChatTemplate`, or `.unsupportedChatTemplate`.
    public func chatTemplate() throws -> ChatTemplate {
        guard let source = chatTemplateSource else { throw TokenizerError.missingChatTemplate }
        return try ChatTemplate(source: source, bosText: bosTokenID.map(tokenText))
    }
}
