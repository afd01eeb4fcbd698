import Foundation

/// What the ranker knows about one candidate of a mention, before features are derived.
public struct CandidateEvidence: Sendable, Codable, Equatable {
    /// The candidate's title (the entity's canonical name).
    public var title: String
    /// The candidate list's prior: a count or popularity (AIDA: Wikipedia in-links).
    public var prior: Double
    /// log P(name | document, question) from the model, marginalized over the entity's names.
    public var modelLogProb: Float
    /// Tokens of the entity's canonical name, end token included.
    public var nameTokens: Int
    /// p(e|m) from the mention table for this surface (nil when the surface is not in the table).
    public var tablePrior: Double?

    public init(title: String, prior: Double, modelLogProb: Float, nameTokens: Int, tablePrior: Double?) {
        self.title = title
        self.prior = prior
        self.modelLogProb = modelLogProb
        self.nameTokens = nameTokens
        self.tablePrior = tablePrior
    }
}

/// Features of a mention's candidates for the log-linear ranker. Every feature varies across
/// the candidates of one mention (a per-mention constant would cancel in the softmax).
/// Cost: O(candidates · title words) per mention.
public enum CandidateFeatures {
    public static let names = [
        "model_logp",          // log P(name | context), summed over tokens
        "model_logp_mean",     // per-token mean of the same
        "model_top",           // 1 for the candidate the model prefers
        "prior_log_share",     // log of the candidate's share of (prior + 1) in the list
        "prior_top",           // 1 for the most popular candidate
        "table_log_pem",       // log p(e|m) from the mention table (0 when the surface is unseen)
        "table_top",           // 1 for the mention table's most frequent entity
        "title_equals_surface",
        "title_equals_surface_folded",
        "title_starts_with_surface",
        "surface_word_overlap", // share of the surface's words found in the title
        "title_has_parenthesis",
        "table_then_prior_top", // 1 for the pick of the rule "highest p(e|m), ties and unseen by prior"
        "model_logp_unseen_surface",      // model_logp when the mention table does not know the surface, else 0
        "model_logp_mean_unseen_surface", // model_logp_mean likewise
    ]
    public static var count: Int { names.count }

    /// Feature rows, one per candidate, in the order given.
    public static func make(surface: String, candidates: [CandidateEvidence]) -> [[Double]] {
        guard !candidates.isEmpty else { return [] }
        let priorTotal = candidates.reduce(0.0) { $0 + max($1.prior, 0) + 1 }
        let bestPrior = candidates.map(\.prior).max() ?? 0
        let bestModel = candidates.map(\.modelLogProb).max() ?? 0
        let seen = candidates.contains { $0.tablePrior != nil }
        let bestTable = candidates.compactMap(\.tablePrior).max() ?? 0
        let rulePick = candidates.indices.max { a, b in
            (candidates[a].tablePrior ?? 0, candidates[a].prior, -a) < (candidates[b].tablePrior ?? 0, candidates[b].prior, -b)
        }
        let foldedSurface = surface.lowercased()
        let surfaceWords = Set(words(foldedSurface))
        return candidates.enumerated().map { i, c in
            let folded = c.title.lowercased()
            let titleWords = Set(words(folded))
            let overlap = surfaceWords.isEmpty ? 0 : Double(surfaceWords.intersection(titleWords).count) / Double(surfaceWords.count)
            let logp = c.modelLogProb.isFinite ? Double(c.modelLogProb) : -100
            let table: Double = seen ? log(max(c.tablePrior ?? 0, 1e-3)) : 0
            return [
                logp,
                logp / Double(max(c.nameTokens, 1)),
                c.modelLogProb == bestModel ? 1 : 0,
                log((max(c.prior, 0) + 1) / priorTotal),
                c.prior == bestPrior ? 1 : 0,
                table,
                seen && (c.tablePrior ?? -1) == bestTable ? 1 : 0,
                c.title == surface ? 1 : 0,
                folded == foldedSurface ? 1 : 0,
                folded.hasPrefix(foldedSurface) ? 1 : 0,
                overlap,
                c.title.contains("(") ? 1 : 0,
                i == rulePick ? 1 : 0,
                // The model matters most where p(e|m) says nothing (measured on AIDA train).
                seen ? 0 : logp,
                seen ? 0 : logp / Double(max(c.nameTokens, 1)),
            ]
        }
    }

    private static func words(_ s: String) -> [Substring] {
        s.split { !$0.isLetter && !$0.isNumber }
    }
}
