import Foundation
import TrellisCore

/// One n-gram generated for a query: its tokens, the model's conditional log-probability
/// log P(n|q) (sum of the token log-probs from the n-gram's first token, given the prompt), its
/// corpus count, and its SEAL weight.
public struct SEALNgram: Sendable, Equatable {
    public var tokens: [TokenID]
    public var logProb: Double
    public var count: Int
    public var weight: Double

    public init(tokens: [TokenID], logProb: Double, count: Int, weight: Double) {
        self.tokens = tokens
        self.logProb = logProb
        self.count = count
        self.weight = weight
    }
}

/// One counted n-gram in a passage: which n-gram (index into the query's list) and where it starts.
public struct SEALMatch: Sendable, Equatable {
    public var ngram: Int
    public var offset: Int
    public init(ngram: Int, offset: Int) { self.ngram = ngram; self.offset = offset }
}

/// SEAL's n-gram weight and passage aggregation (M. Bevilacqua, G. Ottaviano, P. Lewis, W. Yih,
/// S. Riedel, F. Petroni, "Autoregressive Search Engines: Generating Substrings as Document
/// Identifiers", NeurIPS 2022, §3.2–3.3).
///
/// Weight of n-gram n for query q, with P(n) = count(n) / tokenCount from the FM-index and P(n|q)
/// the model's conditional probability of generating n:
///
///     w(n) = max(0, log[P(n|q)·(1 − P(n))] − log[P(n)·(1 − P(n|q))])^α
///
/// i.e. the log odds ratio of n under the query versus the corpus prior, clipped at zero.
/// Passage score (SEAL-LM's intersective scoring): the passage's matched distinct n-grams are
/// taken in decreasing weight; each adds w(n)·cover(n), with
///
///     cover(n) = 1 − β + β·|set(n) \ C| / |set(n)|
///
/// where set(n) is the n-gram's set of token ids and C the tokens of the n-grams already counted
/// for this passage, so an n-gram overlapping ones already counted (e.g. its own prefix) earns
/// only (1 − β) of its weight. Cost: O(m log m + m·L) per passage for m matched n-grams of length ≤ L.
public enum SEALScoring {
    /// Probabilities are kept inside [ε, 1 − ε] so the odds stay finite.
    static let epsilon = 1e-9

    /// w(n) for conditional log-probability `logProb` = log P(n|q) and corpus frequency `count`.
    public static func weight(logProb: Double, count: Int, tokenCount: Int, alpha: Double) -> Double {
        guard count > 0, tokenCount > 0 else { return 0 }
        let pq = min(max(exp(logProb), epsilon), 1 - epsilon)
        let p = min(max(Double(count) / Double(tokenCount), epsilon), 1 - epsilon)
        let odds = (log(pq) + log1p(-p)) - (log(p) + log1p(-pq))
        return odds > 0 ? pow(odds, alpha) : 0
    }

    /// Intersective score of one passage from its matches (any order, duplicates allowed; each
    /// n-gram counts once, at its first listed offset). Returns the score and the counted matches
    /// in counting order.
    public static func aggregate(matches: [SEALMatch], ngrams: [SEALNgram], coverageWeight beta: Double) -> (score: Double, counted: [SEALMatch]) {
        var best: [Int: Int] = [:]
        for m in matches where best[m.ngram] == nil { best[m.ngram] = m.offset }
        let order = best.keys.sorted { ngrams[$0].weight != ngrams[$1].weight ? ngrams[$0].weight > ngrams[$1].weight : $0 < $1 }
        var covered = Set<TokenID>()
        var score = 0.0
        var counted: [SEALMatch] = []
        for g in order {
            let n = ngrams[g]
            guard n.weight > 0 else { continue }
            let distinct = Set(n.tokens)
            let fresh = distinct.subtracting(covered).count
            let cover = 1 - beta + beta * Double(fresh) / Double(max(distinct.count, 1))
            score += n.weight * cover
            covered.formUnion(distinct)
            counted.append(SEALMatch(ngram: g, offset: best[g]!))
        }
        return (score, counted)
    }

    /// Every occurrence of every n-gram in `tokens` (brute force through a first-token table):
    /// the exact matches used by the second stage. O(|tokens| + Σ occurrences of first tokens · L).
    public static func matches(of ngrams: [SEALNgram], in tokens: [TokenID]) -> [SEALMatch] {
        var positions: [TokenID: [Int]] = [:]
        for (i, t) in tokens.enumerated() { positions[t, default: []].append(i) }
        var out: [SEALMatch] = []
        for (g, n) in ngrams.enumerated() where !n.tokens.isEmpty {
            guard let starts = positions[n.tokens[0]] else { continue }
            for s in starts where s + n.tokens.count <= tokens.count {
                var ok = true
                for j in 1..<n.tokens.count where tokens[s + j] != n.tokens[j] { ok = false; break }
                if ok { out.append(SEALMatch(ngram: g, offset: s)); break }
            }
        }
        return out
    }
}
