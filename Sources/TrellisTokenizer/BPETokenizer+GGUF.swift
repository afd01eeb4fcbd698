import TrellisCore
import TrellisGGUF

extension BPETokenizer {
    /// GGUF `tokenizer.ggml.model` values this type implements.
    public static let supportedModels = ["gpt2"]

    /// Opens a GGUF file and builds its tokenizer.
    public convenience init(path: String) throws {
        try self.init(gguf: try GGUFFile(path: path))
    }

    /// Builds the tokenizer a GGUF file's metadata describes: `tokenizer.ggml.model` (must be
    /// "gpt2"), `.pre`, `.tokens`, `.token_type`, `.merges`, the BOS/EOS/unknown/padding/EOT ids,
    /// `.add_bos_token`, `.add_eos_token`, and `tokenizer.chat_template`.
    /// - Throws: `TokenizerError` naming the missing or malformed key, or what is supported.
    public convenience init(gguf file: GGUFFile) throws {
        let reader = MetadataReader(file: file)
        guard let model = try reader.string("tokenizer.ggml.model") else {
            throw TokenizerError.missingMetadata(key: "tokenizer.ggml.model")
        }
        guard Self.supportedModels.contains(model) else {
            throw TokenizerError.unsupportedModel(model, supported: Self.supportedModels)
        }
        guard let preName = try reader.string("tokenizer.ggml.pre") else {
            throw TokenizerError.missingMetadata(key: "tokenizer.ggml.pre")
        }
        let pre = try PreTokenizer(ggufName: preName)
        guard let tokens = try reader.stringArray("tokenizer.ggml.tokens") else {
            throw TokenizerError.missingMetadata(key: "tokenizer.ggml.tokens")
        }
        guard let merges = try reader.stringArray("tokenizer.ggml.merges") else {
            throw TokenizerError.missingMetadata(key: "tokenizer.ggml.merges")
        }
        var types: [TokenType]?
        if let raw = try reader.intArray("tokenizer.ggml.token_type") {
            types = try raw.enumerated().map { index, value in
                guard let type = Int32(exactly: value).flatMap(TokenType.init(rawValue:)) else {
                    throw TokenizerError.malformedMetadata(
                        key: "tokenizer.ggml.token_type", reason: "entry \(index) is \(value), not a type in 0...6")
                }
                return type
            }
        }
        try self.init(
            tokens: tokens, tokenTypes: types, merges: merges, preTokenizer: pre,
            bosTokenID: try reader.tokenID("tokenizer.ggml.bos_token_id"),
            eosTokenID: try reader.tokenID("tokenizer.ggml.eos_token_id"),
            unknownTokenID: try reader.tokenID("tokenizer.ggml.unknown_token_id"),
            paddingTokenID: try reader.tokenID("tokenizer.ggml.padding_token_id"),
            endOfTurnTokenID: try reader.tokenID("tokenizer.ggml.eot_token_id"),
            addsBOS: try reader.bool("tokenizer.ggml.add_bos_token"),
            addsEOS: try reader.bool("tokenizer.ggml.add_eos_token") ?? false,
            chatTemplateSource: try reader.string("tokenizer.chat_template"))
    }
}

/// GGUF metadata getters that report a wrongly typed value as `TokenizerError.malformedMetadata`.
private struct MetadataReader {
    let file: GGUFFile

    private func wrap<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch GGUFError.wrongValueType(let key, let expected) {
            throw TokenizerError.malformedMetadata(key: key, reason: "value is not \(expected)")
        }
    }

    func string(_ key: String) throws -> String? { try wrap { try file.string(key) } }
    func bool(_ key: String) throws -> Bool? { try wrap { try file.bool(key) } }
    func stringArray(_ key: String) throws -> [String]? { try wrap { try file.stringArray(key) } }
    func intArray(_ key: String) throws -> [Int]? { try wrap { try file.intArray(key) } }

    /// A token id; negative values (llama.cpp writes -1 for "none") read as absent.
    func tokenID(_ key: String) throws -> TokenID? {
        guard let value = try wrap({ try file.int(key) }) else { return nil }
        if value < 0 { return nil }
        guard let id = TokenID(exactly: value) else {
            throw TokenizerError.malformedMetadata(key: key, reason: "\(value) is not a token id")
        }
        return id
    }
}
