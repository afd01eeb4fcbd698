import Foundation

/// Ranking metrics as BEIR computes them (binary or graded relevance, ties broken by rank order).
public enum RetrievalMetrics {
    /// nDCG@k with gain = grade (BEIR/pytrec_eval: gain rel, discount log2(rank+1)).
    public static func ndcg(ranked: [String], relevant: [String: Int], k: Int) -> Double {
        var dcg = 0.0
        for (i, doc) in ranked.prefix(k).enumerated() {
            if let g = relevant[doc], g > 0 { dcg += Double(g) / log2(Double(i) + 2) }
        }
        let ideal = relevant.values.filter { $0 > 0 }.sorted(by: >).prefix(k)
        var idcg = 0.0
        for (i, g) in ideal.enumerated() { idcg += Double(g) / log2(Double(i) + 2) }
        return idcg > 0 ? dcg / idcg : 0
    }

    /// Fraction of relevant documents found in the top k.
    public static func recall(ranked: [String], relevant: [String: Int], k: Int) -> Double {
        let rel = Set(relevant.filter { $0.value > 0 }.keys)
        guard !rel.isEmpty else { return 0 }
        return Double(ranked.prefix(k).filter { rel.contains($0) }.count) / Double(rel.count)
    }

    /// Reciprocal rank of the first relevant document within the top k (0 if none).
    public static func mrr(ranked: [String], relevant: [String: Int], k: Int) -> Double {
        for (i, doc) in ranked.prefix(k).enumerated() where (relevant[doc] ?? 0) > 0 { return 1 / Double(i + 1) }
        return 0
    }
}
