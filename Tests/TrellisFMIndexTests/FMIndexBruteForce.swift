import TrellisCore

/// The plain twin of the FM-index: scans every passage.
struct BruteForceCorpus {
    let passages: [[TokenID]]

    var tokenCount: Int { passages.reduce(0) { $0 + $1.count } }

    func occurrences(_ ngram: [TokenID]) -> [(passage: Int, offset: Int)] {
        var out: [(Int, Int)] = []
        guard !ngram.isEmpty else { return out }
        for (k, p) in passages.enumerated() where p.count >= ngram.count {
            for o in 0...(p.count - ngram.count) where Array(p[o..<(o + ngram.count)]) == ngram { out.append((k, o)) }
        }
        return out
    }

    func count(_ ngram: [TokenID]) -> Int { ngram.isEmpty ? tokenCount : occurrences(ngram).count }

    /// Next token → count, over occurrences not at a passage end.
    func continuations(_ ngram: [TokenID]) -> [TokenID: Int] {
        var out: [TokenID: Int] = [:]
        if ngram.isEmpty {
            for p in passages { for t in p { out[t, default: 0] += 1 } }
            return out
        }
        for (k, o) in occurrences(ngram) where o + ngram.count < passages[k].count {
            out[passages[k][o + ngram.count], default: 0] += 1
        }
        return out
    }
}

/// Random corpora with the degenerate cases on purpose: empty and one-token passages, repeats.
/// `skewed`: token i drawn with probability ∝ 1/(i+1) (Zipf, like real text), so the
/// Huffman-shaped wavelet matrix gets codes of very different lengths; otherwise uniform.
func randomCorpus(_ rng: inout SplitMix64, alphabet: Int, maxPassages: Int, maxLength: Int,
                  skewed: Bool = false) -> [[TokenID]] {
    let passageCount = Int.random(in: 0...maxPassages, using: &rng)
    // Sparse, non-contiguous ids so the dense remapping is exercised.
    let ids = (0..<alphabet).map { TokenID($0 * 7 + 3) }
    var cdf: [Double] = []
    var total = 0.0
    for i in 0..<alphabet { total += 1 / Double(i + 1); cdf.append(total) }
    func draw() -> TokenID {
        guard skewed else { return ids[Int.random(in: 0..<alphabet, using: &rng)] }
        let u = Double.random(in: 0..<total, using: &rng)
        return ids[cdf.firstIndex { $0 > u } ?? alphabet - 1]
    }
    return (0..<passageCount).map { _ in
        let kind = Int.random(in: 0..<10, using: &rng)
        let length = kind == 0 ? 0 : kind == 1 ? 1 : Int.random(in: 0...maxLength, using: &rng)
        if kind == 2 { return [TokenID](repeating: ids[0], count: length) }
        return (0..<length).map { _ in draw() }
    }
}
