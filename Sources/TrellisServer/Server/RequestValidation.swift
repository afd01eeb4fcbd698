/// Turns decoded API requests into backend queries: applies defaults (never above the limits), checks every
/// `ServerLimits` bound and the constraint's satisfiability as far as the server can tell.
/// Errors are `APIError`s naming the field, the bound and the value.
struct RequestValidator: Sendable {
    let limits: ServerLimits
    let backend: any TrellisBackend

    // MARK: Link and search

    func linkQuery(_ request: LinkRequest) throws -> LinkQuery {
        try checkCharacters(request.text, field: "text")
        let topK = try bounded(request.topK ?? min(5, limits.maxTopK), field: "top_k", min: 1, bound: "max_top_k", limit: limits.maxTopK)
        let beam = try bounded(request.beam ?? min(5, limits.maxBeam), field: "beam", min: 1, bound: "max_beam", limit: limits.maxBeam)
        let candidatesOnly = request.candidatesOnly ?? false
        var query: LinkQuery
        if request.endToEnd == true {
            if request.mentions != nil {
                throw APIError.invalid("mentions", "give either `mentions` or `end_to_end`, not both")
            }
            query = LinkQuery(text: request.text, mode: .endToEnd, topK: topK, beam: beam, candidatesOnly: candidatesOnly)
        } else if let mentions = request.mentions {
            if mentions.isEmpty { throw APIError.invalid("mentions", "is empty") }
            let length = request.text.unicodeScalars.count
            for (i, span) in mentions.enumerated() where span.start < 0 || span.end > length || span.start >= span.end {
                throw APIError.invalid("mentions[\(i)]",
                                       "span \(span.start)..<\(span.end) is not a non-empty range inside the text of \(length) characters")
            }
            query = LinkQuery(text: request.text, mode: .mentions(mentions), topK: topK, beam: beam,
                              candidatesOnly: candidatesOnly)
        } else {
            let (clean, spans) = try LinkQuery.parseMarkers(request.text)
            if spans.isEmpty {
                throw APIError.invalid("text", "no mention: mark mentions with [ ], give `mentions` offsets, or set `end_to_end`")
            }
            query = LinkQuery(text: clean, mode: .mentions(spans), topK: topK, beam: beam, candidatesOnly: candidatesOnly)
        }
        query.allowNil = request.allowNil ?? false
        if case .mentions(let spans) = query.mode, spans.count > limits.maxMentions {
            throw APIError.overLimit(field: "mentions", value: spans.count, bound: "max_mentions", limit: limits.maxMentions)
        }
        try checkTokens(.text(query.text), field: "text")
        return query
    }

    func searchQuery(_ request: SearchRequest) throws -> SearchQuery {
        try checkCharacters(request.query, field: "query")
        if request.query.allSatisfy(\.isWhitespace) { throw APIError.invalid("query", "is empty") }
        let topK = try bounded(request.topK ?? min(10, limits.maxTopK), field: "top_k", min: 1, bound: "max_top_k", limit: limits.maxTopK)
        try checkTokens(.text(request.query), field: "query")
        return SearchQuery(query: request.query, mode: request.mode ?? .hybrid, topK: topK)
    }

    // MARK: Generation

    func generationQuery(_ request: GenerateRequest) throws -> GenerationQuery {
        try checkCharacters(request.prompt, field: "prompt")
        let prompt: GenerationQuery.Prompt = request.chat == true
            ? .chat([ChatMessage(role: "user", content: request.prompt)]) : .text(request.prompt)
        return try finish(prompt: prompt, maxTokens: request.maxTokens ?? min(64, limits.maxNewTokens), maxTokensField: "max_tokens",
                          temperature: request.temperature ?? 0, topP: request.topP ?? 1, topK: request.topK ?? 0,
                          seed: request.seed, beam: request.beam ?? 1, stop: request.stop ?? [],
                          constraint: request.constraint)
    }

    func generationQuery(_ request: CompletionRequest) throws -> GenerationQuery {
        try checkCharacters(request.prompt, field: "prompt")
        try checkOpenAIFields(request.fields)
        let f = request.fields
        return try finish(prompt: .text(request.prompt), maxTokens: f.maxTokens ?? min(16, limits.maxNewTokens), maxTokensField: "max_tokens",
                          temperature: f.temperature ?? 1, topP: f.topP ?? 1, topK: f.trellis?.topK ?? 0,
                          seed: f.seed, beam: f.trellis?.beam ?? 1, stop: f.stop?.values ?? [],
                          constraint: f.trellis?.constraint)
    }

    func generationQuery(_ request: ChatCompletionRequest) throws -> GenerationQuery {
        if request.messages.isEmpty { throw APIError.invalid("messages", "is empty") }
        let characters = request.messages.reduce(0) { $0 + $1.content.unicodeScalars.count }
        if characters > limits.maxPromptCharacters {
            throw APIError.overLimit(field: "messages", value: characters, bound: "max_prompt_chars",
                                     limit: limits.maxPromptCharacters)
        }
        try checkOpenAIFields(request.fields)
        var constraint = request.fields.trellis?.constraint
        if let format = request.responseFormat, format.type != "text" {
            if constraint != nil {
                throw APIError.invalid("response_format", "give `response_format` or a `trellis.constraint`, not both")
            }
            constraint = try formatConstraint(format)
        }
        if request.maxCompletionTokens != nil && request.fields.maxTokens != nil {
            throw APIError.invalid("max_completion_tokens", "give either `max_tokens` or `max_completion_tokens`, not both")
        }
        let f = request.fields
        let field = request.maxCompletionTokens != nil ? "max_completion_tokens" : "max_tokens"
        return try finish(prompt: .chat(request.messages),
                          maxTokens: request.maxCompletionTokens ?? f.maxTokens ?? min(256, limits.maxNewTokens),
                          maxTokensField: field, temperature: f.temperature ?? 1, topP: f.topP ?? 1,
                          topK: f.trellis?.topK ?? 0, seed: f.seed, beam: f.trellis?.beam ?? 1,
                          stop: f.stop?.values ?? [], constraint: constraint)
    }

    /// `response_format` as a constraint: `json_object` is any JSON object (values nested at most
    /// two deep), `json_schema` is OpenAI's `{"name": …, "schema": {…}, "strict": …}` wrapper.
    private func formatConstraint(_ format: ResponseFormat) throws -> ConstraintSpec {
        if format.type == "json_object" {
            return ConstraintSpec(jsonSchema: .object(["type": .string("object")]))
        }
        guard case .object(let wrapper)? = format.jsonSchema, let schema = wrapper["schema"] else {
            throw APIError.invalid("response_format.json_schema", "must be an object with a `schema` field")
        }
        return ConstraintSpec(jsonSchema: schema)
    }

    private func checkOpenAIFields(_ f: OpenAISamplingFields) throws {
        if let n = f.n, n != 1 { throw APIError(status: 400, type: "not_supported", message: "`n` = \(n): only n = 1 is supported", param: "n") }
        for (name, value) in [("frequency_penalty", f.frequencyPenalty), ("presence_penalty", f.presencePenalty)] {
            if let value, value != 0 {
                throw APIError(status: 400, type: "not_supported", message: "`\(name)` = \(value): only 0 is supported", param: name)
            }
        }
        if let model = f.model, !model.isEmpty, model != backend.info.modelName {
            throw APIError.invalid("model", "`\(model)` is not served here; this server serves `\(backend.info.modelName)`")
        }
    }

    // swiftlint:disable:next function_parameter_count
    private func finish(prompt: GenerationQuery.Prompt, maxTokens: Int, maxTokensField: String, temperature: Double,
                        topP: Double, topK: Int, seed: UInt64?, beam: Int, stop: [String],
                        constraint: ConstraintSpec?) throws -> GenerationQuery {
        let maxTokens = try bounded(maxTokens, field: maxTokensField, min: 1, bound: "max_new_tokens", limit: limits.maxNewTokens)
        guard temperature.isFinite, temperature >= 0, temperature <= 2 else {
            throw APIError.invalid("temperature", "\(temperature) is outside 0...2")
        }
        guard topP.isFinite, topP > 0, topP <= 1 else { throw APIError.invalid("top_p", "\(topP) is outside (0, 1]") }
        guard topK >= 0 else { throw APIError.invalid("top_k", "\(topK) is negative") }
        let beam = try bounded(beam, field: "beam", min: 1, bound: "max_beam", limit: limits.maxBeam)
        if stop.count > limits.maxConstraintItems {
            throw APIError.overLimit(field: "stop", value: stop.count, bound: "max_constraint_items", limit: limits.maxConstraintItems)
        }
        if let i = stop.firstIndex(where: \.isEmpty) { throw APIError.invalid("stop[\(i)]", "is empty") }
        if let constraint { try check(constraint, maxTokens: maxTokens) }
        let promptTokens = try checkTokens(prompt, field: "prompt")
        let context = backend.info.contextLength
        if promptTokens + maxTokens > context {
            throw APIError(status: 400, type: "limit_exceeded",
                           message: "prompt (\(promptTokens) tokens) plus `\(maxTokensField)` (\(maxTokens)) is \(promptTokens + maxTokens), over the model's context_length = \(context)",
                           param: maxTokensField)
        }
        return GenerationQuery(prompt: prompt, maxTokens: maxTokens,
                               sampling: SamplingOptions(temperature: temperature, topP: topP, topK: topK, seed: seed),
                               beam: beam, stop: stop, constraint: (constraint?.isEmpty ?? true) ? nil : constraint)
    }

    /// Rejects constraints no output can satisfy (422) and malformed ones (400).
    func check(_ c: ConstraintSpec, maxTokens: Int) throws {
        let items = limits.maxConstraintItems
        func impossible(_ message: String, _ param: String) -> APIError {
            APIError(status: 422, type: "impossible_constraint", message: message, param: param)
        }
        func checkList(_ list: [String], _ field: String) throws {
            if list.count > items {
                throw APIError.overLimit(field: field, value: list.count, bound: "max_constraint_items", limit: items)
            }
            if let i = list.firstIndex(where: { $0.allSatisfy(\.isWhitespace) }) {
                throw APIError.invalid("\(field)[\(i)]", "is empty")
            }
        }
        let exclusive = [c.choices != nil, c.kbEntity == true, c.wantsCorpusNgram].filter { $0 }.count
        if exclusive > 1 {
            throw APIError.invalid("constraint", "`choices`, `kb_entity` and `corpus_ngram` each fix the whole output; give at most one")
        }
        if let n = c.corpusNgram?.maxTokens, n < 1 {
            throw APIError.invalid("constraint.corpus_ngram.max_tokens", "\(n) is below 1")
        }
        let banned = Set((c.bannedWords ?? []).map { $0.lowercased() })
        if let bannedWords = c.bannedWords { try checkList(bannedWords, "constraint.banned_words") }
        var keywordWords = 0
        if let keywords = c.keywords {
            if keywords.count > items {
                throw APIError.overLimit(field: "constraint.keywords", value: keywords.count, bound: "max_constraint_items", limit: items)
            }
            for (i, keyword) in keywords.enumerated() {
                if keyword.alternatives.isEmpty {
                    throw impossible("keyword \(i) has no alternative, so it can never appear", "constraint.keywords[\(i)]")
                }
                try checkList(keyword.alternatives, "constraint.keywords[\(i)]")
                if keyword.alternatives.allSatisfy({ banned.contains($0.lowercased()) }) {
                    throw impossible("every alternative of keyword \(i) (\(keyword.alternatives.joined(separator: ", "))) is also banned",
                                     "constraint.keywords[\(i)]")
                }
                keywordWords += keyword.alternatives.map { $0.split(whereSeparator: \.isWhitespace).count }.min() ?? 1
            }
        }
        if let minWords = c.minWords, minWords < 0 { throw APIError.invalid("constraint.min_words", "\(minWords) is negative") }
        if let maxWords = c.maxWords, maxWords < 1 { throw APIError.invalid("constraint.max_words", "\(maxWords) is below 1") }
        if let minWords = c.minWords, let maxWords = c.maxWords, minWords > maxWords {
            throw impossible("min_words = \(minWords) is above max_words = \(maxWords)", "constraint.min_words")
        }
        if let maxWords = c.maxWords, keywordWords > maxWords {
            throw impossible("the keywords need at least \(keywordWords) words, over max_words = \(maxWords)", "constraint.max_words")
        }
        if let minWords = c.minWords, minWords > maxTokens {
            throw impossible("min_words = \(minWords) cannot fit in max_tokens = \(maxTokens) (a word takes at least one token)",
                             "constraint.min_words")
        }
        if let choices = c.choices {
            if choices.isEmpty { throw impossible("`choices` is empty, so no output is allowed", "constraint.choices") }
            try checkList(choices, "constraint.choices")
            let allowed = choices.filter { choice in
                !choice.lowercased().split(whereSeparator: { !$0.isLetter && !$0.isNumber }).contains { banned.contains(String($0)) }
            }
            if allowed.isEmpty { throw impossible("every choice contains a banned word", "constraint.choices") }
        }
        if let parts = c.then {
            if parts.count > items {
                throw APIError.overLimit(field: "constraint.then", value: parts.count, bound: "max_constraint_items", limit: items)
            }
            for (i, part) in parts.enumerated() {
                if part.hasWholeOutputKind {
                    throw APIError.invalid("constraint.then[\(i)]", "a part takes only keywords, banned_words, min_words, max_words, ordered and then")
                }
                try check(part, maxTokens: maxTokens)
            }
        }
    }

    // MARK: Bounds

    private func bounded(_ value: Int, field: String, min: Int, bound: String, limit: Int) throws -> Int {
        if value < min { throw APIError.invalid(field, "\(value) is below \(min)") }
        if value > limit { throw APIError.overLimit(field: field, value: value, bound: bound, limit: limit) }
        return value
    }

    private func checkCharacters(_ text: String, field: String) throws {
        let count = text.unicodeScalars.count
        if count > limits.maxPromptCharacters {
            throw APIError.overLimit(field: field, value: count, bound: "max_prompt_chars", limit: limits.maxPromptCharacters)
        }
    }

    @discardableResult
    private func checkTokens(_ prompt: GenerationQuery.Prompt, field: String) throws -> Int {
        let count = try backend.tokenCount(of: prompt)
        if count > limits.maxPromptTokens {
            throw APIError(status: 400, type: "limit_exceeded",
                           message: "`\(field)` is \(count) tokens, over the limit max_prompt_tokens = \(limits.maxPromptTokens)",
                           param: field)
        }
        return count
    }
}
