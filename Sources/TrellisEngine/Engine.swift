import Foundation
import TrellisCore
import TrellisDecoding
import TrellisGGUF
import TrellisModel
import TrellisTokenizer

/// Everything loaded once per process: the memory-mapped model, its tokenizer and chat template.
/// Tasks (linking, search, constrained generation) and the interfaces (CLI, server) start here.
public final class Engine: @unchecked Sendable {
    public let modelPath: String
    public let file: GGUFFile
    public let tokenizer: BPETokenizer
    public let model: TransformerModel
    /// Seconds spent opening the model and building the tokenizer.
    public let loadSeconds: Double

    public init(modelPath: String, options: RuntimeOptions = RuntimeOptions()) throws {
        let start = Date()
        self.modelPath = modelPath
        file = try GGUFFile(path: modelPath)
        tokenizer = try BPETokenizer(gguf: file)
        model = try TransformerModel(file: file, options: options)
        loadSeconds = Date().timeIntervalSince(start)
    }

    /// Tokens that end a generation: EOS and the chat template's end of turn.
    public var stopTokens: Set<TokenID> {
        var s = Set(tokenizer.endOfGenerationTokenIDs)
        if let eos = tokenizer.eosTokenID { s.insert(eos) }
        return s
    }

    /// Prompt tokens for `text`: as is, or wrapped as one user turn in the model's chat template.
    public func promptTokens(_ text: String, chat: Bool, system: String? = nil) throws -> [TokenID] {
        if chat {
            var messages: [ChatMessage] = []
            if let system { messages.append(.system(system)) }
            messages.append(.user(text))
            let rendered = try tokenizer.chatTemplate().render(messages, addGenerationPrompt: true)
            return tokenizer.encode(rendered, parseSpecial: true)
        }
        var tokens = tokenizer.encode(text, parseSpecial: false)
        if tokenizer.addsBOS, let bos = tokenizer.bosTokenID { tokens.insert(bos, at: 0) }
        return tokens
    }

    /// Generates text after `prompt` under `constraint`, streaming decoded text pieces.
    public func generate<C: LogitConstraint>(prompt: [TokenID], constraint: C, maxTokens: Int, sampler: Sampler,
                                             onText: (String) throws -> Bool = { _ in true }) throws -> (text: String, result: GenerationResult) {
        var decoder = StreamingDecoder(tokenizer: tokenizer)
        var text = ""
        let generator = TokenGenerator(constraint: constraint, maxTokens: maxTokens, stopTokens: stopTokens)
        let result = try generator.generate(model: model, prompt: prompt, sampler: sampler) { token in
            let piece = decoder.append(token)
            text += piece
            return piece.isEmpty ? true : try onText(piece)
        }
        let tail = decoder.finish()
        if !tail.isEmpty {
            text += tail
            _ = try onText(tail)
        }
        return (text, result)
    }
}
