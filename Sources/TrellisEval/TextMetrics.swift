import Foundation

/// Generation metrics for CommonGen-style evaluation: corpus BLEU-4 (Papineni et al. 2002)
/// and ROUGE-L (Lin 2004) against several references, on lowercased word tokens.
public enum TextMetrics {
    /// Lowercased words and punctuation marks as separate tokens.
    public static func tokenize(_ text: String) -> [String] {
        var tokens: [String] = []
        var word = ""
        for ch in text.lowercased() {
            if ch.isLetter || ch.isNumber || ch == "'" {
                word.append(ch)
            } else {
                if !word.isEmpty { tokens.append(word); word = "" }
                if !ch.isWhitespace && ch != "." && ch != "," { tokens.append(String(ch)) }
            }
        }
        if !word.isEmpty { tokens.append(word) }
        return tokens
    }

    /// Corpus-level BLEU-4 with uniform weights, clipped n-gram counts against the maximum
    /// count in any reference, and the brevity penalty against the closest reference length.
    public static func corpusBLEU(hypotheses: [String], references: [[String]], maxN: Int = 4) -> Double {
        precondition(hypotheses.count == references.count)
        var matches = [Int](repeating: 0, count: maxN)
        var totals = [Int](repeating: 0, count: maxN)
        var hypLength = 0, refLength = 0
        for (hyp, refs) in zip(hypotheses, references) {
            let h = tokenize(hyp)
            let rs = refs.map(tokenize)
            hypLength += h.count
            refLength += rs.map(\.count).min { abs($0 - h.count) < abs($1 - h.count) || (abs($0 - h.count) == abs($1 - h.count) && $0 < $1) } ?? 0
            for n in 1...maxN {
                let hc = ngramCounts(h, n)
                var maxRef: [ArraySlice<String>: Int] = [:]
                for r in rs { for (g, c) in ngramCounts(r, n) { maxRef[g] = max(maxRef[g] ?? 0, c) } }
                for (g, c) in hc { matches[n - 1] += min(c, maxRef[g] ?? 0) }
                totals[n - 1] += max(h.count - n + 1, 0)
            }
        }
        guard hypLength > 0 else { return 0 }
        var logSum = 0.0
        for n in 0..<maxN {
            guard matches[n] > 0, totals[n] > 0 else { return 0 }
            logSum += log(Double(matches[n]) / Double(totals[n]))
        }
        let bp = hypLength >= refLength ? 1.0 : exp(1 - Double(refLength) / Double(hypLength))
        return bp * exp(logSum / Double(maxN))
    }

    /// ROUGE-L F-measure (β = 1.2, as in the COCO caption evaluation) of one hypothesis against
    /// several references: precision and recall each taken as the maximum over references.
    public static func rougeL(hypothesis: String, references: [String], beta: Double = 1.2) -> Double {
        let h = tokenize(hypothesis)
        guard !h.isEmpty else { return 0 }
        var bestP = 0.0, bestR = 0.0
        for ref in references {
            let r = tokenize(ref)
            guard !r.isEmpty else { continue }
            let l = Double(lcs(h, r))
            bestP = max(bestP, l / Double(h.count))
            bestR = max(bestR, l / Double(r.count))
        }
        guard bestP > 0, bestR > 0 else { return 0 }
        return (1 + beta * beta) * bestP * bestR / (bestR + beta * beta * bestP)
    }

    static func ngramCounts(_ tokens: [String], _ n: Int) -> [ArraySlice<String>: Int] {
        var out: [ArraySlice<String>: Int] = [:]
        guard tokens.count >= n else { return out }
        for i in 0...(tokens.count - n) { out[tokens[i..<i + n], default: 0] += 1 }
        return out
    }

    static func lcs(_ a: [String], _ b: [String]) -> Int {
        var prev = [Int](repeating: 0, count: b.count + 1)
        var cur = prev
        for x in a {
            for (j, y) in b.enumerated() { cur[j + 1] = x == y ? prev[j] + 1 : max(prev[j + 1], cur[j]) }
            swap(&prev, &cur)
        }
        return prev[b.count]
    }
}
