/// How `POST /v1/search` ranks passages.
public enum SearchMode: String, Codable, Sendable, CaseIterable {
    /// SEAL: corpus n-grams generated under an FM-index constraint.
    case seal
    /// BM25 over SQLite FTS5.
    case bm25
    /// Fusion of the two.
    case hybrid

    public init(from decoder: any Decoder) throws {
        let raw = try decoder.singleValueContainer().decode(String.self)
        guard let mode = SearchMode(rawValue: raw) else {
            let path = RequestDecodingError.path(decoder.codingPath)
            throw RequestDecodingError(kind: .invalidValue, path: path,
                                       message: "field `\(path)`: `\(raw)` is not one of seal, bm25, hybrid")
        }
        self = mode
    }
}

/// Body of `POST /v1/search`.
public struct SearchRequest: Codable, Sendable, Equatable {
    public var query: String
    public var mode: SearchMode?
    public var topK: Int?

    public init(query: String, mode: SearchMode? = nil, topK: Int? = nil) {
        self.query = query
        self.mode = mode
        self.topK = topK
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case query, mode
        case topK = "top_k"
    }

    public init(from decoder: any Decoder) throws {
        let c = try StrictContainer<CodingKeys>(decoder)
        query = try c.required(.query)
        mode = try c.optional(.mode)
        topK = try c.optional(.topK)
    }
}

/// What the backend is asked to search, with defaults applied and limits checked.
public struct SearchQuery: Sendable, Equatable {
    public var query: String
    public var mode: SearchMode
    public var topK: Int

    public init(query: String, mode: SearchMode, topK: Int) {
        self.query = query
        self.mode = mode
        self.topK = topK
    }
}

/// An n-gram that matched a passage, with its weight.
public struct MatchedNgram: Codable, Sendable, Equatable {
    public var text: String
    public var score: Double

    public init(text: String, score: Double) {
        self.text = text
        self.score = score
    }
}

/// One ranked passage.
public struct SearchHit: Codable, Sendable, Equatable {
    public var id: String
    public var title: String?
    public var text: String
    public var score: Double
    /// The n-grams that matched (SEAL and hybrid modes).
    public var ngrams: [MatchedNgram]?

    public init(id: String, title: String?, text: String, score: Double, ngrams: [MatchedNgram]? = nil) {
        self.id = id
        self.title = title
        self.text = text
        self.score = score
        self.ngrams = ngrams
    }
}

/// Response of `POST /v1/search`.
public struct SearchResponse: Codable, Sendable, Equatable {
    public var mode: SearchMode
    public var results: [SearchHit]

    public init(mode: SearchMode, results: [SearchHit]) {
        self.mode = mode
        self.results = results
    }
}
