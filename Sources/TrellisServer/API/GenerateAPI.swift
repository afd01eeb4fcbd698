import TrellisCore

/// One keyword of a keyword constraint: the output must contain one of its alternatives
/// (for example inflections: `["catch", "catches", "caught"]`). Decodes from a string or an array.
public struct KeywordSpec: Codable, Sendable, Equatable {
    public var alternatives: [String]

    public init(_ alternatives: [String]) { self.alternatives = alternatives }

    public init(from decoder: any Decoder) throws {
        let single = try decoder.singleValueContainer()
        if let word = try? single.decode(String.self) {
            alternatives = [word]
        } else {
            alternatives = try single.decode([String].self)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var single = encoder.singleValueContainer()
        try single.encode(alternatives)
    }
}

/// The `corpus_ngram` constraint: the output is a token sequence that occurs somewhere in the
/// passage corpus (checked token by token against the FM-index). Decodes from `true` (no extra
/// bound; `max_tokens` still applies), `false` (off) or `{"max_tokens": n}` (the n-gram is at most
/// n tokens long).
public struct CorpusNgramSpec: Codable, Sendable, Equatable {
    public var enabled: Bool
    /// Longest n-gram in tokens; nil means only the request's `max_tokens` bounds it.
    public var maxTokens: Int?

    public init(enabled: Bool = true, maxTokens: Int? = nil) {
        self.enabled = enabled
        self.maxTokens = maxTokens
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case maxTokens = "max_tokens"
    }

    public init(from decoder: any Decoder) throws {
        if let flag = try? decoder.singleValueContainer().decode(Bool.self) {
            enabled = flag
            maxTokens = nil
            return
        }
        let c = try StrictContainer<CodingKeys>(decoder)
        enabled = true
        maxTokens = try c.optional(.maxTokens)
    }

    public func encode(to encoder: any Encoder) throws {
        if let maxTokens {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(maxTokens, forKey: .maxTokens)
        } else {
            var single = encoder.singleValueContainer()
            try single.encode(enabled)
        }
    }
}

/// A constraint on generated text, as JSON: every present part must hold (AND).
///
/// ```json
/// {"keywords": ["dog", ["frisbee", "frisbees"]], "banned_words": ["cat"],
///  "min_words": 5, "max_words": 20}
/// {"choices": ["positive", "negative"]}
/// {"kb_entity": true}        // the output is one entity name of the knowledge base
/// {"corpus_ngram": true}     // the output is an n-gram that occurs in the corpus
/// {"corpus_ngram": {"max_tokens": 6}}   // ... of at most 6 tokens
/// {"regex": "(yes|no), because [a-z ]+\\."}   // the whole output matches
/// {"json_schema": {"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]}}
/// ```
/// `choices`, `kb_entity` and `corpus_ngram` each fix the whole output, so at most one of them
/// may be given. Ordered constraints: `"ordered": true` makes the keywords occur in the given
/// order; `"then": [{…}, {…}]` requires the output to split into consecutive pieces, piece i
/// satisfying part i (parts take keywords, banned_words, min_words, max_words, ordered, then).
public struct ConstraintSpec: Codable, Sendable, Equatable {
    public var keywords: [KeywordSpec]?
    public var bannedWords: [String]?
    public var minWords: Int?
    public var maxWords: Int?
    public var choices: [String]?
    public var kbEntity: Bool?
    public var corpusNgram: CorpusNgramSpec?
    /// The whole output must match this regular expression.
    public var regex: String?
    /// The whole output must be compact JSON valid under this JSON schema.
    public var jsonSchema: JSONValue?
    /// Keywords must occur in the given order.
    public var ordered: Bool?
    /// Consecutive pieces of the output, each satisfying its part (word-level fields only).
    public var then: [ConstraintSpec]?

    public init(keywords: [KeywordSpec]? = nil, bannedWords: [String]? = nil, minWords: Int? = nil,
                maxWords: Int? = nil, choices: [String]? = nil, kbEntity: Bool? = nil, corpusNgram: CorpusNgramSpec? = nil,
                ordered: Bool? = nil, then: [ConstraintSpec]? = nil, regex: String? = nil, jsonSchema: JSONValue? = nil) {
        self.ordered = ordered
        self.then = then
        self.regex = regex
        self.jsonSchema = jsonSchema
        self.keywords = keywords
        self.bannedWords = bannedWords
        self.minWords = minWords
        self.maxWords = maxWords
        self.choices = choices
        self.kbEntity = kbEntity
        self.corpusNgram = corpusNgram
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case keywords
        case bannedWords = "banned_words"
        case minWords = "min_words"
        case maxWords = "max_words"
        case choices
        case kbEntity = "kb_entity"
        case corpusNgram = "corpus_ngram"
        case regex
        case jsonSchema = "json_schema"
        case ordered
        case then
    }

    public init(from decoder: any Decoder) throws {
        let c = try StrictContainer<CodingKeys>(decoder)
        keywords = try c.optional(.keywords)
        bannedWords = try c.optional(.bannedWords)
        minWords = try c.optional(.minWords)
        maxWords = try c.optional(.maxWords)
        choices = try c.optional(.choices)
        kbEntity = try c.optional(.kbEntity)
        corpusNgram = try c.optional(.corpusNgram)
        regex = try c.optional(.regex)
        jsonSchema = try c.optional(.jsonSchema)
        ordered = try c.optional(.ordered)
        then = try c.optional(.then)
    }

    /// Whether the output must be an n-gram of the corpus.
    public var wantsCorpusNgram: Bool { corpusNgram?.enabled == true }

    /// Whether the spec constrains nothing.
    public var isEmpty: Bool {
        (keywords ?? []).isEmpty && (bannedWords ?? []).isEmpty && minWords == nil && maxWords == nil
            && choices == nil && kbEntity != true && corpusNgram?.enabled != true && (then ?? []).isEmpty
            && regex == nil && jsonSchema == nil
    }

    /// Whether a part of `then` uses a field that fixes the whole output (not allowed there).
    public var hasWholeOutputKind: Bool { choices != nil || kbEntity == true || wantsCorpusNgram }
}

/// Sampling settings; temperature 0 (the default) is greedy decoding.
public struct SamplingOptions: Sendable, Equatable {
    public var temperature: Double
    public var topP: Double
    /// 0 means no top-k cut.
    public var topK: Int
    public var seed: UInt64?

    public init(temperature: Double = 0, topP: Double = 1, topK: Int = 0, seed: UInt64? = nil) {
        self.temperature = temperature
        self.topP = topP
        self.topK = topK
        self.seed = seed
    }
}

/// A chat message (`role` is system, user or assistant).
public struct ChatMessage: Codable, Sendable, Equatable {
    public var role: String
    public var content: String
    public var name: String?

    public init(role: String, content: String, name: String? = nil) {
        self.role = role
        self.content = content
        self.name = name
    }

    enum CodingKeys: String, CodingKey, CaseIterable { case role, content, name }

    public init(from decoder: any Decoder) throws {
        let c = try StrictContainer<CodingKeys>(decoder)
        role = try c.required(.role)
        guard ["system", "user", "assistant"].contains(role) else {
            throw c.invalid(.role, "`\(role)` is not one of system, user, assistant")
        }
        content = try c.required(.content)
        name = try c.optional(.name)
    }
}

/// Body of `POST /v1/generate`.
public struct GenerateRequest: Codable, Sendable, Equatable {
    public var prompt: String
    /// Wrap the prompt as one user turn of the model's chat template.
    public var chat: Bool?
    public var maxTokens: Int?
    public var temperature: Double?
    public var topP: Double?
    public var topK: Int?
    public var seed: UInt64?
    /// Beam width (1 = sampling or greedy).
    public var beam: Int?
    public var stop: [String]?
    public var constraint: ConstraintSpec?

    public init(prompt: String, chat: Bool? = nil, maxTokens: Int? = nil, temperature: Double? = nil,
                topP: Double? = nil, topK: Int? = nil, seed: UInt64? = nil, beam: Int? = nil,
                stop: [String]? = nil, constraint: ConstraintSpec? = nil) {
        self.prompt = prompt
        self.chat = chat
        self.maxTokens = maxTokens
        self.temperature = temperature
        self.topP = topP
        self.topK = topK
        self.seed = seed
        self.beam = beam
        self.stop = stop
        self.constraint = constraint
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case prompt, chat
        case maxTokens = "max_tokens"
        case temperature
        case topP = "top_p"
        case topK = "top_k"
        case seed, beam, stop, constraint
    }

    public init(from decoder: any Decoder) throws {
        let c = try StrictContainer<CodingKeys>(decoder)
        prompt = try c.required(.prompt)
        chat = try c.optional(.chat)
        maxTokens = try c.optional(.maxTokens)
        temperature = try c.optional(.temperature)
        topP = try c.optional(.topP)
        topK = try c.optional(.topK)
        seed = try c.optional(.seed)
        beam = try c.optional(.beam)
        stop = try c.optional(.stop)
        constraint = try c.optional(.constraint)
    }
}

/// What the backend is asked to generate, with defaults applied and limits checked.
public struct GenerationQuery: Sendable, Equatable {
    public enum Prompt: Sendable, Equatable {
        /// Raw text, continued as is.
        case text(String)
        /// Chat turns, formatted with the model's chat template; the reply is generated.
        case chat([ChatMessage])
    }

    public var prompt: Prompt
    public var maxTokens: Int
    public var sampling: SamplingOptions
    public var beam: Int
    /// Generation stops before any of these strings.
    public var stop: [String]
    public var constraint: ConstraintSpec?

    public init(prompt: Prompt, maxTokens: Int, sampling: SamplingOptions = .init(), beam: Int = 1,
                stop: [String] = [], constraint: ConstraintSpec? = nil) {
        self.prompt = prompt
        self.maxTokens = maxTokens
        self.sampling = sampling
        self.beam = beam
        self.stop = stop
        self.constraint = constraint
    }
}

/// Why generation ended.
public enum FinishReason: String, Codable, Sendable {
    /// End of sequence, a stop string, or the constraint reached acceptance.
    case stop
    /// `max_tokens` reached.
    case length
}

/// The end of one generation.
public struct GenerationSummary: Sendable, Equatable {
    public var finishReason: FinishReason
    public var promptTokens: Int
    public var completionTokens: Int
    /// Whether the output satisfies the constraint (nil without a constraint).
    public var constraintSatisfied: Bool?

    public init(finishReason: FinishReason, promptTokens: Int, completionTokens: Int,
                constraintSatisfied: Bool? = nil) {
        self.finishReason = finishReason
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
        self.constraintSatisfied = constraintSatisfied
    }
}

/// What a backend's generation stream yields: text deltas (complete UTF-8), then one summary.
public enum GenerationEvent: Sendable, Equatable {
    case text(String)
    case finished(GenerationSummary)
}

/// Token counts of one request.
public struct Usage: Codable, Sendable, Equatable {
    public var promptTokens: Int
    public var completionTokens: Int
    public var totalTokens: Int

    public init(promptTokens: Int, completionTokens: Int) {
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
        self.totalTokens = promptTokens + completionTokens
    }

    enum CodingKeys: String, CodingKey {
        case promptTokens = "prompt_tokens"
        case completionTokens = "completion_tokens"
        case totalTokens = "total_tokens"
    }
}

/// Response of `POST /v1/generate`.
public struct GenerateResponse: Codable, Sendable, Equatable {
    public var text: String
    public var finishReason: FinishReason
    public var constraintSatisfied: Bool?
    public var usage: Usage

    public init(text: String, finishReason: FinishReason, constraintSatisfied: Bool?, usage: Usage) {
        self.text = text
        self.finishReason = finishReason
        self.constraintSatisfied = constraintSatisfied
        self.usage = usage
    }

    enum CodingKeys: String, CodingKey {
        case text
        case finishReason = "finish_reason"
        case constraintSatisfied = "constraint_satisfied"
        case usage
    }
}
