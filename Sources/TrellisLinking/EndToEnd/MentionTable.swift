import TrellisStore

/// Where end-to-end linking finds the candidate entities of a surface form (p(e|m) style).
public protocol MentionTable {
    /// Candidates of `surface` with their prior (a count or probability), best first; empty when
    /// the surface is not a known mention.
    func candidates(forSurface surface: String) throws -> [CandidateEntity]
}

/// The store's mention table (exact surface first, then case-folded; see `TrellisStore`).
public struct StoreMentionTable: MentionTable {
    public let store: TrellisStore
    public init(store: TrellisStore) { self.store = store }
    public func candidates(forSurface surface: String) throws -> [CandidateEntity] {
        try store.candidates(forSurface: surface).map { CandidateEntity(entityID: $0.entityID, prior: $0.prior) }
    }
}

/// An in-memory mention table, e.g. surface → entity counts gathered from training annotations.
/// Exact surface match; lookups are one hash probe.
public struct InMemoryMentionTable: MentionTable, Sendable {
    public var entries: [String: [CandidateEntity]]
    public init(entries: [String: [CandidateEntity]] = [:]) { self.entries = entries }

    /// Adds `count` observations of `surface` linking to `entity`.
    public mutating func add(surface: String, entity: EntityID, count: Double = 1) {
        var list = entries[surface, default: []]
        if let i = list.firstIndex(where: { $0.entityID == entity }) {
            list[i].prior += count
        } else {
            list.append(CandidateEntity(entityID: entity, prior: count))
        }
        entries[surface] = list
    }

    public func candidates(forSurface surface: String) throws -> [CandidateEntity] {
        (entries[surface] ?? []).sorted { ($0.prior, $1.entityID) > ($1.prior, $0.entityID) }
    }
}
