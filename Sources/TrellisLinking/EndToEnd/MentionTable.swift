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

/// The store's mention table, falling back to the KB's own names: a surface that the mention
/// table does not know but that equals some entity's name or alias gets those entities as
/// candidates, with their popularity as prior. Lets a KB imported without a mention table
/// (such as the demo KB) link end to end. Built once: one pass over the names, O(names) memory.
public struct StoreOrNameMentionTable: MentionTable, Sendable {
    public let store: TrellisStore
    public let byName: InMemoryMentionTable

    public init(store: TrellisStore) throws {
        self.store = store
        var pairs: [(String, EntityID)] = []
        try store.forEachName { pairs.append(($0.name, $0.entityID)) }
        var popularity: [EntityID: Double] = [:]
        let ids = Array(Set(pairs.map(\.1)))
        for start in stride(from: 0, to: ids.count, by: 500) {
            for e in try store.entities(ids: Array(ids[start..<min(ids.count, start + 500)])) { popularity[e.id] = e.popularity ?? 0 }
        }
        var table = InMemoryMentionTable()
        for (name, id) in pairs where table.entries[name]?.contains(where: { $0.entityID == id }) != true {
            table.add(surface: name, entity: id, count: max(popularity[id] ?? 0, 0) + 1)
        }
        byName = table
    }

    public func candidates(forSurface surface: String) throws -> [CandidateEntity] {
        let fromTable = try store.candidates(forSurface: surface).map { CandidateEntity(entityID: $0.entityID, prior: $0.prior) }
        return fromTable.isEmpty ? try byName.candidates(forSurface: surface) : fromTable
    }
}
