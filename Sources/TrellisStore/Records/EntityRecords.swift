import TrellisCore

/// Row id of an entity in a store (stable across re-imports of the same key).
public typealias EntityID = Int64
/// Row id of one name (entity, language, name) in a store.
public typealias NameID = Int64

/// One entity: a stable external key (Wikidata id or title), its canonical name, an optional
/// description and popularity (in-link count or similar prior).
public struct EntityRecord: Sendable, Equatable {
    public var id: EntityID
    public var key: String
    public var name: String
    public var description: String?
    public var popularity: Double?

    public init(id: EntityID, key: String, name: String, description: String?, popularity: Double?) {
        self.id = id
        self.key = key
        self.name = name
        self.description = description
        self.popularity = popularity
    }
}

/// A name to attach to an entity: its language tag (free text such as "en", "" for none)
/// and the surface string. The canonical name is marked so linking can prefer it.
public struct EntityName: Sendable, Hashable {
    public var language: String
    public var name: String
    public var isCanonical: Bool

    public init(language: String, name: String, isCanonical: Bool = false) {
        self.language = language
        self.name = name
        self.isCanonical = isCanonical
    }
}

/// One stored name row, with its token ids for the bound tokenizer (nil until tokenized).
public struct NameRecord: Sendable, Equatable {
    public var id: NameID
    public var entityID: EntityID
    public var language: String
    public var name: String
    public var isCanonical: Bool
    public var tokens: [TokenID]?

    public init(id: NameID, entityID: EntityID, language: String, name: String, isCanonical: Bool,
                tokens: [TokenID]?) {
        self.id = id
        self.entityID = entityID
        self.language = language
        self.name = name
        self.isCanonical = isCanonical
        self.tokens = tokens
    }
}

/// A candidate entity for a mention's surface form with its prior (p(e|m) or a count, as
/// imported). `matchedCaseInsensitively` tells that no exact surface matched.
public struct MentionCandidate: Sendable, Equatable {
    public var entityID: EntityID
    public var key: String
    public var name: String
    public var prior: Double
    public var matchedCaseInsensitively: Bool

    public init(entityID: EntityID, key: String, name: String, prior: Double, matchedCaseInsensitively: Bool) {
        self.entityID = entityID
        self.key = key
        self.name = name
        self.prior = prior
        self.matchedCaseInsensitively = matchedCaseInsensitively
    }
}

/// Row counts, for `trellis kb info` and tests.
public struct StoreCounts: Sendable, Equatable {
    public var entities: Int
    public var names: Int
    public var tokenizedNames: Int
    public var mentions: Int
    public var passages: Int
    public var tokenizedPassages: Int
    public var hmmModels: Int
}
