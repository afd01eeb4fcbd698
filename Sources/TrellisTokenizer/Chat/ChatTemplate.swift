/// One message of a conversation.
public struct ChatMessage: Sendable, Equatable {
    /// "system", "user" or "assistant" (any role is written as given).
    public var role: String
    public var content: String

    public init(role: String, content: String) {
        self.role = role
        self.content = content
    }

    public static func system(_ content: String) -> ChatMessage { ChatMessage(role: "system", content: content) }
    public static func user(_ content: String) -> ChatMessage { ChatMessage(role: "user", content: content) }
    public static func assistant(_ content: String) -> ChatMessage { ChatMessage(role: "assistant", content: content) }
}

/// Formats a conversation the way a model's Jinja chat template (`tokenizer.chat_template`)
/// does, for the two template families this project supports, recognized by their markers
/// rather than by running Jinja:
///
/// - ChatML (`<|im_start|>`; SmolLM2, Qwen2): `<|im_start|>role\ncontent<|im_end|>\n` per message,
///   then `<|im_start|>assistant\n` as the generation prompt. When the template holds a literal
///   system block (`'<|im_start|>system\n...<|im_end|>\n'`, SmolLM2's "You are a helpful AI
///   assistant named SmolLM, trained by Hugging Face"), that block is written before the first
///   message whenever the first message is not a system message.
/// - Llama 3 (`<|start_header_id|>`): the BOS text, then
///   `<|start_header_id|>role<|end_header_id|>\n\ncontent<|eot_id|>` per message with content
///   trimmed, then `<|start_header_id|>assistant<|end_header_id|>\n\n`. (Llama 3.1's extra date
///   header in the default system message is not reproduced.)
///
/// The rendered text contains special-token strings: encode it with `parseSpecial: true`.
/// O(total text length).
public struct ChatTemplate: Sendable, Equatable {
    /// Which family the template belongs to, with what the rendering needs from it.
    public enum Style: Sendable, Equatable {
        case chatML(defaultSystemMessage: String?)
        case llama3(bosText: String)
    }

    public let style: Style

    public init(style: Style) {
        self.style = style
    }

    /// Recognizes a template source.
    /// - Parameter bosText: the BOS token's text, written first by Llama 3 templates.
    /// - Throws: `TokenizerError.unsupportedChatTemplate` when neither family's markers appear.
    public init(source: String, bosText: String? = nil) throws {
        if source.contains("<|im_start|>") {
            style = .chatML(defaultSystemMessage: Self.defaultSystemMessage(in: source))
        } else if source.contains("<|start_header_id|>") {
            style = .llama3(bosText: bosText ?? "<|begin_of_text|>")
        } else {
            throw TokenizerError.unsupportedChatTemplate(excerpt: String(source.prefix(120)))
        }
    }

    /// The text that ends an assistant turn (also the model's EOS or end-of-turn token).
    public var endOfTurnText: String {
        switch style {
        case .chatML: return "<|im_end|>"
        case .llama3: return "<|eot_id|>"
        }
    }

    /// Whether the rendered text already starts with BOS (so the caller must not add another).
    public var writesBOS: Bool {
        if case .llama3 = style { return true }
        return false
    }

    /// The prompt text for `messages`, ending with the generation prompt when asked.
    public func render(_ messages: [ChatMessage], addGenerationPrompt: Bool = true) -> String {
        var out = ""
        switch style {
        case .chatML(let defaultSystem):
            if let defaultSystem, let first = messages.first, first.role != "system" {
                out += "<|im_start|>system\n\(defaultSystem)<|im_end|>\n"
            }
            for m in messages { out += "<|im_start|>\(m.role)\n\(m.content)<|im_end|>\n" }
            if addGenerationPrompt { out += "<|im_start|>assistant\n" }
        case .llama3(let bosText):
            out += bosText
            for m in messages {
                let content = m.content.trimmingWhitespace()
                out += "<|start_header_id|>\(m.role)<|end_header_id|>\n\n\(content)<|eot_id|>"
            }
            if addGenerationPrompt { out += "<|start_header_id|>assistant<|end_header_id|>\n\n" }
        }
        return out
    }

    /// The content of a literal `<|im_start|>system\n...<|im_end|>\n` string in the template
    /// source (Jinja escapes such as `\n` undone), if there is one.
    static func defaultSystemMessage(in source: String) -> String? {
        for literal in stringLiterals(in: source) {
            let prefix = "<|im_start|>system\n", suffix = "<|im_end|>\n"
            if literal.hasPrefix(prefix) && literal.hasSuffix(suffix) && literal.count >= prefix.count + suffix.count {
                return String(literal.dropFirst(prefix.count).dropLast(suffix.count))
            }
        }
        return nil
    }

    /// Jinja string literals ('...' or "...") in order, with backslash escapes undone.
    static func stringLiterals(in source: String) -> [String] {
        var out: [String] = []
        var iterator = source.unicodeScalars.makeIterator()
        while let c = iterator.next() {
            guard c == "'" || c == "\"" else { continue }
            var literal = String.UnicodeScalarView()
            var closed = false
            while let d = iterator.next() {
                if d == c { closed = true; break }
                if d == "\\", let e = iterator.next() {
                    switch e {
                    case "n": literal.append("\n")
                    case "t": literal.append("\t")
                    case "r": literal.append("\r")
                    default: literal.append(e)
                    }
                } else {
                    literal.append(d)
                }
            }
            if closed { out.append(String(literal)) }
        }
        return out
    }
}

extension String {
    /// Without leading and trailing Unicode whitespace (Jinja's `trim`).
    func trimmingWhitespace() -> String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }) else { return "" }
        let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })!
        return String(scalars[first...last])
    }
}
