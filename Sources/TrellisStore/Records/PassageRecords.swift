import TrellisCore

/// Row id of a passage in a store (stable across re-imports of the same key).
public typealias PassageID = Int64

/// One passage: its external key (BEIR `_id`), title, text and token ids (nil until tokenized).
public struct PassageRecord: Sendable, Equatable {
    public var id: PassageID
    public var key: String
    public var title: String
    public var text: String
    public var tokens: [TokenID]?

    public init(id: PassageID, key: String, title: String, text: String, tokens: [TokenID]?) {
        self.id = id
        self.key = key
        self.title = title
        self.text = text
        self.tokens = tokens
    }
}

/// One BM25 result: higher `score` is better (SQLite's bm25() negated).
public struct BM25Hit: Sendable, Equatable {
    public var passageID: PassageID
    public var key: String
    public var score: Double

    public init(passageID: PassageID, key: String, score: Double) {
        self.passageID = passageID
        self.key = key
        self.score = score
    }
}
