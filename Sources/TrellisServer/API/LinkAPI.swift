/// A mention's place in a text: offsets in Unicode scalars (code points, as Python's `str`
/// indexes), `end` exclusive.
public struct MentionSpan: Codable, Sendable, Equatable, Hashable {
    public var start: Int
    public var end: Int

    public init(start: Int, end: Int) {
        self.start = start
        self.end = end
    }

    enum CodingKeys: String, CodingKey, CaseIterable { case start, end }

    public init(from decoder: any Decoder) throws {
        let c = try StrictContainer<CodingKeys>(decoder)
        start = try c.required(.start)
        end = try c.required(.end)
    }
}

/// Body of `POST /v1/link`: a text whose mentions are marked with `[` `]`, or given as
/// `mentions` offsets, or found by the model (`end_to_end`).
public struct LinkRequest: Codable, Sendable, Equatable {
    public var text: String
    public var mentions: [MentionSpan]?
    public var endToEnd: Bool?
    public var topK: Int?
    public var beam: Int?
    public var candidatesOnly: Bool?
    /// Let a mention link to NIL (reported as `"entity": null`).
    public var allowNil: Bool?

    public init(text: String, mentions: [MentionSpan]? = nil, endToEnd: Bool? = nil, topK: Int? = nil,
                beam: Int? = nil, candidatesOnly: Bool? = nil, allowNil: Bool? = nil) {
        self.text = text
        self.mentions = mentions
        self.endToEnd = endToEnd
        self.topK = topK
        self.beam = beam
        self.candidatesOnly = candidatesOnly
        self.allowNil = allowNil
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case text, mentions
        case endToEnd = "end_to_end"
        case topK = "top_k"
        case beam
        case candidatesOnly = "candidates_only"
        case allowNil = "allow_nil"
    }

    public init(from decoder: any Decoder) throws {
        let c = try StrictContainer<CodingKeys>(decoder)
        text = try c.required(.text)
        mentions = try c.optional(.mentions)
        endToEnd = try c.optional(.endToEnd)
        topK = try c.optional(.topK)
        beam = try c.optional(.beam)
        candidatesOnly = try c.optional(.candidatesOnly)
        allowNil = try c.optional(.allowNil)
    }
}

/// What the backend is asked to link, after the server parsed markers and checked limits.
public struct LinkQuery: Sendable, Equatable {
    public enum Mode: Sendable, Equatable {
        /// Link exactly these spans of `text`.
        case mentions([MentionSpan])
        /// Find the mentions and link them in one pass.
        case endToEnd
    }

    /// The text with any `[` `]` markers removed.
    public var text: String
    public var mode: Mode
    public var topK: Int
    public var beam: Int
    /// Only entities from the mention table's candidates (no whole-KB fallback).
    public var candidatesOnly: Bool
    /// Let a mention link to NIL.
    public var allowNil: Bool

    public init(text: String, mode: Mode, topK: Int, beam: Int, candidatesOnly: Bool, allowNil: Bool = false) {
        self.text = text
        self.mode = mode
        self.topK = topK
        self.beam = beam
        self.candidatesOnly = candidatesOnly
        self.allowNil = allowNil
    }
}

/// One ranked entity for a mention.
public struct LinkedEntity: Codable, Sendable, Equatable {
    /// Stable key, such as a Wikidata id or a title.
    public var key: String
    public var name: String
    /// Log-score (higher is better).
    public var score: Double
    public var description: String?

    public init(key: String, name: String, score: Double, description: String? = nil) {
        self.key = key
        self.name = name
        self.score = score
        self.description = description
    }
}

/// One mention with its answer and ranked entities. `entity` is the best entity, or null when
/// the mention links to nothing (NIL); it is always present in the JSON.
public struct LinkedMention: Codable, Sendable, Equatable {
    public var start: Int
    public var end: Int
    public var surface: String
    public var entity: LinkedEntity?
    public var entities: [LinkedEntity]
    /// End-to-end only: share of the beam's probability that agrees on this span and entity.
    public var confidence: Double?

    /// `entity` defaults to the first of `entities` (nil: NIL).
    public init(start: Int, end: Int, surface: String, entities: [LinkedEntity], entity: LinkedEntity?? = .none,
                confidence: Double? = nil) {
        self.start = start
        self.end = end
        self.surface = surface
        self.entities = entities
        self.entity = entity ?? entities.first
        self.confidence = confidence
    }

    enum CodingKeys: String, CodingKey { case start, end, surface, entity, entities, confidence }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(start, forKey: .start)
        try c.encode(end, forKey: .end)
        try c.encode(surface, forKey: .surface)
        try c.encode(entity, forKey: .entity)
        try c.encode(entities, forKey: .entities)
        try c.encodeIfPresent(confidence, forKey: .confidence)
    }
}

/// Response of `POST /v1/link`.
public struct LinkResponse: Codable, Sendable, Equatable {
    /// The text the offsets refer to (markers removed).
    public var text: String
    public var mentions: [LinkedMention]

    public init(text: String, mentions: [LinkedMention]) {
        self.text = text
        self.mentions = mentions
    }
}

extension LinkQuery {
    /// Removes `[` `]` mention markers from `text` and returns the clean text and the marked
    /// spans (in Unicode scalars of the clean text). Unbalanced, nested or empty markers are
    /// errors naming the offset. O(n).
    static func parseMarkers(_ text: String) throws -> (text: String, spans: [MentionSpan]) {
        var clean = String.UnicodeScalarView()
        var spans: [MentionSpan] = []
        var open: Int?
        var position = 0
        for (offset, scalar) in text.unicodeScalars.enumerated() {
            switch scalar {
            case "[":
                if open != nil {
                    throw RequestDecodingError(kind: .invalidValue, path: "text",
                                               message: "field `text`: nested `[` at offset \(offset)")
                }
                open = position
            case "]":
                guard let start = open else {
                    throw RequestDecodingError(kind: .invalidValue, path: "text",
                                               message: "field `text`: `]` without `[` at offset \(offset)")
                }
                if start == position {
                    throw RequestDecodingError(kind: .invalidValue, path: "text",
                                               message: "field `text`: empty mention `[]` at offset \(offset)")
                }
                spans.append(MentionSpan(start: start, end: position))
                open = nil
            default:
                clean.append(scalar)
                position += 1
            }
        }
        if open != nil {
            throw RequestDecodingError(kind: .invalidValue, path: "text",
                                       message: "field `text`: `[` is never closed by `]`")
        }
        return (String(clean), spans)
    }
}
