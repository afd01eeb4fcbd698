/// Surface → title counts from AIDA gold annotations, the in-domain p(e|m) of Ganea & Hofmann
/// (2017) style mention tables, with leave-one-document-out lookups so that features computed
/// on training documents do not see their own gold. Lookups mirror the store's mention table:
/// the exact surface when present, else any surface equal after lowercasing, where an entity
/// keeps its highest count. Cost: O(candidates) per lookup.
public struct AIDAMentionCounts: Sendable {
    /// counts[surface][title] and, per document, the pairs it contributed.
    public private(set) var counts: [String: [String: Int]] = [:]
    private var byDocument: [Int: [String: [String: Int]]] = [:]
    private var folded: [String: Set<String>] = [:]

    public init(documents: [AIDADocument], keepTitle: (String) -> Bool = { _ in true }) {
        for doc in documents {
            for m in doc.mentions {
                guard let gold = m.goldTitle, keepTitle(gold) else { continue }
                counts[m.surface, default: [:]][gold, default: 0] += 1
                byDocument[doc.docNum, default: [:]][m.surface, default: [:]][gold, default: 0] += 1
                folded[m.surface.lowercased(), default: []].insert(m.surface)
            }
        }
    }

    /// p(e|m) over titles for `surface`, leaving out `excludingDocument`'s own annotations;
    /// nil when the surface is unseen.
    public func probabilities(surface: String, excludingDocument: Int? = nil) -> [String: Double]? {
        func table(_ s: String) -> [String: Int] {
            var t = counts[s] ?? [:]
            if let d = excludingDocument, let own = byDocument[d]?[s] {
                for (title, n) in own { t[title, default: 0] -= n }
            }
            return t.filter { $0.value > 0 }
        }
        var merged = table(surface)
        if merged.isEmpty {
            for s in folded[surface.lowercased()] ?? [] {
                for (title, n) in table(s) { merged[title] = max(merged[title] ?? 0, n) }
            }
        }
        let total = merged.values.reduce(0, +)
        guard total > 0 else { return nil }
        return merged.mapValues { Double($0) / Double(total) }
    }
}
