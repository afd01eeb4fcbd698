import TrellisCore

/// `stop`: one string or a list of strings.
public struct StopSequences: Codable, Sendable, Equatable {
    public var values: [String]

    public init(_ values: [String]) { self.values = values }

    public init(from decoder: any Decoder) throws {
        let single = try decoder.singleValueContainer()
        if let one = try? single.decode(String.self) { values = [one] } else { values = try single.decode([String].self) }
    }

    public func encode(to encoder: any Encoder) throws {
        var single = encoder.singleValueContainer()
        try single.encode(values)
    }
}

/// Trellis's extension of the OpenAI requests: `"trellis": {"constraint": {...}, "top_k": 40, "beam": 4}`.
public struct TrellisExtension: Codable, Sendable, Equatable {
    public var constraint: ConstraintSpec?
    public var topK: Int?
    public var beam: Int?

    public init(constraint: ConstraintSpec? = nil, topK: Int? = nil, beam: Int? = nil) {
        self.constraint = constraint
        self.topK = topK
        self.beam = beam
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case constraint
        case topK = "top_k"
        case beam
    }

    public init(from decoder: any Decoder) throws {
        let c = try StrictContainer<CodingKeys>(decoder)
        constraint = try c.optional(.constraint)
        topK = try c.optional(.topK)
        beam = try c.optional(.beam)
    }
}

/// `stream_options` of the OpenAI API.
public struct StreamOptions: Codable, Sendable, Equatable {
    public var includeUsage: Bool?

    public init(includeUsage: Bool? = nil) { self.includeUsage = includeUsage }

    enum CodingKeys: String, CodingKey, CaseIterable { case includeUsage = "include_usage" }

    public init(from decoder: any Decoder) throws {
        let c = try StrictContainer<CodingKeys>(decoder)
        includeUsage = try c.optional(.includeUsage)
    }
}

/// `response_format` of the chat API: `text` (no constraint), `json_object` (any JSON object) or
/// `json_schema` (output valid against the given schema), the last two enforced as constraints.
public struct ResponseFormat: Codable, Sendable, Equatable {
    public var type: String
    public var jsonSchema: JSONValue?

    public init(type: String, jsonSchema: JSONValue? = nil) {
        self.type = type
        self.jsonSchema = jsonSchema
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case type
        case jsonSchema = "json_schema"
    }

    public init(from decoder: any Decoder) throws {
        let c = try StrictContainer<CodingKeys>(decoder)
        type = try c.required(.type)
        guard ["text", "json_object", "json_schema"].contains(type) else {
            throw c.invalid(.type, "`\(type)` is not one of text, json_object, json_schema")
        }
        jsonSchema = try c.optional(.jsonSchema)
    }
}

/// The OpenAI fields common to both completion requests.
public struct OpenAISamplingFields: Sendable, Equatable {
    public var model: String?
    public var maxTokens: Int?
    public var temperature: Double?
    public var topP: Double?
    public var n: Int?
    public var stream: Bool?
    public var streamOptions: StreamOptions?
    public var stop: StopSequences?
    public var seed: UInt64?
    public var user: String?
    public var frequencyPenalty: Double?
    public var presencePenalty: Double?
    public var trellis: TrellisExtension?

    public init(model: String? = nil, maxTokens: Int? = nil, temperature: Double? = nil, topP: Double? = nil,
                n: Int? = nil, stream: Bool? = nil, streamOptions: StreamOptions? = nil,
                stop: StopSequences? = nil, seed: UInt64? = nil, user: String? = nil,
                frequencyPenalty: Double? = nil, presencePenalty: Double? = nil, trellis: TrellisExtension? = nil) {
        self.model = model
        self.maxTokens = maxTokens
        self.temperature = temperature
        self.topP = topP
        self.n = n
        self.stream = stream
        self.streamOptions = streamOptions
        self.stop = stop
        self.seed = seed
        self.user = user
        self.frequencyPenalty = frequencyPenalty
        self.presencePenalty = presencePenalty
        self.trellis = trellis
    }
}

/// Body of `POST /v1/completions` (OpenAI-compatible; one string prompt, n = 1).
public struct CompletionRequest: Codable, Sendable, Equatable {
    public var prompt: String
    public var fields: OpenAISamplingFields

    public init(prompt: String, fields: OpenAISamplingFields = .init()) {
        self.prompt = prompt
        self.fields = fields
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case prompt, model
        case maxTokens = "max_tokens"
        case temperature
        case topP = "top_p"
        case n, stream
        case streamOptions = "stream_options"
        case stop, seed, user
        case frequencyPenalty = "frequency_penalty"
        case presencePenalty = "presence_penalty"
        case trellis
    }

    public init(from decoder: any Decoder) throws {
        let c = try StrictContainer<CodingKeys>(decoder)
        prompt = try c.required(.prompt)
        fields = try OpenAISamplingFields(from: c)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(prompt, forKey: .prompt)
        try fields.encode(into: &c)
    }
}

/// Body of `POST /v1/chat/completions` (OpenAI-compatible; string contents, n = 1).
public struct ChatCompletionRequest: Codable, Sendable, Equatable {
    public var messages: [ChatMessage]
    public var maxCompletionTokens: Int?
    public var responseFormat: ResponseFormat?
    public var fields: OpenAISamplingFields

    public init(messages: [ChatMessage], maxCompletionTokens: Int? = nil, responseFormat: ResponseFormat? = nil,
                fields: OpenAISamplingFields = .init()) {
        self.messages = messages
        self.maxCompletionTokens = maxCompletionTokens
        self.responseFormat = responseFormat
        self.fields = fields
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case messages, model
        case maxTokens = "max_tokens"
        case maxCompletionTokens = "max_completion_tokens"
        case responseFormat = "response_format"
        case temperature
        case topP = "top_p"
        case n, stream
        case streamOptions = "stream_options"
        case stop, seed, user
        case frequencyPenalty = "frequency_penalty"
        case presencePenalty = "presence_penalty"
        case trellis
    }

    public init(from decoder: any Decoder) throws {
        let c = try StrictContainer<CodingKeys>(decoder)
        messages = try c.required(.messages)
        maxCompletionTokens = try c.optional(.maxCompletionTokens)
        responseFormat = try c.optional(.responseFormat)
        fields = try OpenAISamplingFields(from: c)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(messages, forKey: .messages)
        try c.encodeIfPresent(maxCompletionTokens, forKey: .maxCompletionTokens)
        try c.encodeIfPresent(responseFormat, forKey: .responseFormat)
        try fields.encode(into: &c)
    }
}

/// Coding keys of a request that carries the shared OpenAI fields, so they are decoded and
/// encoded in one place (each request's enum names the same cases).
protocol OpenAISamplingKeys: CodingKey, CaseIterable {
    static var model: Self { get }
    static var maxTokens: Self { get }
    static var temperature: Self { get }
    static var topP: Self { get }
    static var n: Self { get }
    static var stream: Self { get }
    static var streamOptions: Self { get }
    static var stop: Self { get }
    static var seed: Self { get }
    static var user: Self { get }
    static var frequencyPenalty: Self { get }
    static var presencePenalty: Self { get }
    static var trellis: Self { get }
}

extension CompletionRequest.CodingKeys: OpenAISamplingKeys {}
extension ChatCompletionRequest.CodingKeys: OpenAISamplingKeys {}

extension OpenAISamplingFields {
    init<K: OpenAISamplingKeys>(from c: StrictContainer<K>) throws {
        self.init(model: try c.optional(.model), maxTokens: try c.optional(.maxTokens),
                  temperature: try c.optional(.temperature), topP: try c.optional(.topP), n: try c.optional(.n),
                  stream: try c.optional(.stream), streamOptions: try c.optional(.streamOptions),
                  stop: try c.optional(.stop), seed: try c.optional(.seed), user: try c.optional(.user),
                  frequencyPenalty: try c.optional(.frequencyPenalty),
                  presencePenalty: try c.optional(.presencePenalty), trellis: try c.optional(.trellis))
    }

    func encode<K: OpenAISamplingKeys>(into c: inout KeyedEncodingContainer<K>) throws {
        try c.encodeIfPresent(model, forKey: .model)
        try c.encodeIfPresent(maxTokens, forKey: .maxTokens)
        try c.encodeIfPresent(temperature, forKey: .temperature)
        try c.encodeIfPresent(topP, forKey: .topP)
        try c.encodeIfPresent(n, forKey: .n)
        try c.encodeIfPresent(stream, forKey: .stream)
        try c.encodeIfPresent(streamOptions, forKey: .streamOptions)
        try c.encodeIfPresent(stop, forKey: .stop)
        try c.encodeIfPresent(seed, forKey: .seed)
        try c.encodeIfPresent(user, forKey: .user)
        try c.encodeIfPresent(frequencyPenalty, forKey: .frequencyPenalty)
        try c.encodeIfPresent(presencePenalty, forKey: .presencePenalty)
        try c.encodeIfPresent(trellis, forKey: .trellis)
    }
}

// MARK: Responses

/// One choice of a `text_completion` (whole or a streamed chunk).
public struct CompletionChoice: Codable, Sendable, Equatable {
    public var text: String
    public var index: Int
    public var finishReason: FinishReason?

    public init(text: String, index: Int = 0, finishReason: FinishReason?) {
        self.text = text
        self.index = index
        self.finishReason = finishReason
    }

    enum CodingKeys: String, CodingKey {
        case text, index, logprobs
        case finishReason = "finish_reason"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        text = try c.decode(String.self, forKey: .text)
        index = try c.decode(Int.self, forKey: .index)
        finishReason = try c.decodeIfPresent(FinishReason.self, forKey: .finishReason)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(text, forKey: .text)
        try c.encode(index, forKey: .index)
        try c.encodeNil(forKey: .logprobs)
        // OpenAI clients expect an explicit null while a stream is running.
        if let finishReason { try c.encode(finishReason, forKey: .finishReason) } else { try c.encodeNil(forKey: .finishReason) }
    }
}

/// Response (and, with `stream`, each SSE chunk) of `POST /v1/completions`.
public struct CompletionResponse: Codable, Sendable, Equatable {
    public var id: String
    public var object: String
    public var created: Int
    public var model: String
    public var choices: [CompletionChoice]
    public var usage: Usage?

    public init(id: String, created: Int, model: String, choices: [CompletionChoice], usage: Usage?) {
        self.id = id
        self.object = "text_completion"
        self.created = created
        self.model = model
        self.choices = choices
        self.usage = usage
    }
}

/// The assistant's message, or in a stream its delta.
public struct ChatDelta: Codable, Sendable, Equatable {
    public var role: String?
    public var content: String?

    public init(role: String? = nil, content: String? = nil) {
        self.role = role
        self.content = content
    }
}

/// One choice of a chat completion: `message` when whole, `delta` when streamed.
public struct ChatChoice: Codable, Sendable, Equatable {
    public var index: Int
    public var message: ChatDelta?
    public var delta: ChatDelta?
    public var finishReason: FinishReason?

    public init(index: Int = 0, message: ChatDelta? = nil, delta: ChatDelta? = nil, finishReason: FinishReason?) {
        self.index = index
        self.message = message
        self.delta = delta
        self.finishReason = finishReason
    }

    enum CodingKeys: String, CodingKey {
        case index, message, delta
        case finishReason = "finish_reason"
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(index, forKey: .index)
        try c.encodeIfPresent(message, forKey: .message)
        try c.encodeIfPresent(delta, forKey: .delta)
        if let finishReason { try c.encode(finishReason, forKey: .finishReason) } else { try c.encodeNil(forKey: .finishReason) }
    }
}

/// Response of `POST /v1/chat/completions` (`object` is `chat.completion`, or
/// `chat.completion.chunk` for each SSE chunk).
public struct ChatCompletionResponse: Codable, Sendable, Equatable {
    public var id: String
    public var object: String
    public var created: Int
    public var model: String
    public var choices: [ChatChoice]
    public var usage: Usage?

    public init(id: String, object: String, created: Int, model: String, choices: [ChatChoice], usage: Usage?) {
        self.id = id
        self.object = object
        self.created = created
        self.model = model
        self.choices = choices
        self.usage = usage
    }
}
