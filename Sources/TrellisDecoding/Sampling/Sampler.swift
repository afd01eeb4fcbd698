import Foundation
import TrellisCore

/// Chooses the next token from a row of (already masked) logits: greedy, or temperature
/// sampling optionally restricted by top-k and by the nucleus (top-p; Holtzman et al. 2020,
/// "The Curious Case of Neural Text Degeneration"), drawing from a `SeededGenerator` so a
/// seed reproduces its samples. Entries at -inf (masked) are never chosen.
///
/// Definitions: probabilities are softmax(logits / temperature). Top-k keeps the k most probable
/// tokens (ties to the lower id). Top-p then keeps the smallest most-probable prefix whose mass
/// reaches p (of the top-k mass when top-k is set, else of the whole row). The kept tokens are
/// renormalized. Cost: O(V) per sample without top-k/top-p (two SIMD passes, no sort); with them
/// O(V log k) by heap selection, top-p growing k fourfold (from 64) until the nucleus fits
/// (a full O(V log V) sort once k passes V/4).
/// Scratch buffers are reused, so a warm sampler does not allocate.
public struct Sampler: Sendable {
    /// 0 or less means greedy.
    public var temperature: Float
    /// 0 means no top-k cut.
    public var topK: Int
    /// 1 means no nucleus cut.
    public var topP: Float
    public private(set) var generator: SeededGenerator

    private var selector = TopKSelector()
    private var candidates: [(index: Int, value: Float)] = []
    private var weights: [Double] = []

    public init(temperature: Float = 0, topK: Int = 0, topP: Float = 1, seed: UInt64 = 0) {
        self.temperature = temperature
        self.topK = topK
        self.topP = topP
        generator = SeededGenerator(seed: seed)
    }

    /// Always the most probable token (the lowest id on ties).
    public static var greedy: Sampler { Sampler() }

    public var isGreedy: Bool { temperature <= 0 }

    /// One token drawn from `logits`; nil when every entry is -inf (nothing allowed).
    public mutating func sample(_ logits: UnsafeBufferPointer<Float>) -> TokenID? {
        let m = LogProbabilities.maximum(logits)
        guard m.isFinite else { return nil }
        if isGreedy {
            return TokenID(logits.firstIndex(of: m)!)
        }
        let scale = 1 / temperature
        if !restrictsSupport {
            // Inverse-CDF over the whole row: total mass, then a scan to the drawn point.
            let total = LogProbabilities.sumExp(logits, subtracting: m, scale: scale)
            let target = Float(generator.nextUnitInterval()) * total
            var running: Float = 0
            var lastFinite = -1
            for i in 0..<logits.count where logits[i] > -.infinity {
                running += FastExp.exp((logits[i] - m) * scale)
                lastFinite = i
                if running > target { return TokenID(i) }
            }
            return TokenID(lastFinite)
        }
        selectCandidates(logits, maximum: m, scale: scale)
        let total = weights.reduce(0, +)
        let target = generator.nextUnitInterval() * total
        var running = 0.0
        for (j, w) in weights.enumerated() {
            running += w
            if running > target { return TokenID(candidates[j].index) }
        }
        return TokenID(candidates[candidates.count - 1].index)
    }

    /// The exact distribution `sample` draws from: kept tokens with their renormalized
    /// probabilities, most probable first (for tests and explanations; allocates).
    public mutating func distribution(_ logits: UnsafeBufferPointer<Float>) -> [(token: TokenID, probability: Double)] {
        let m = LogProbabilities.maximum(logits)
        guard m.isFinite else { return [] }
        if isGreedy { return [(TokenID(logits.firstIndex(of: m)!), 1)] }
        let scale = 1 / temperature
        if !restrictsSupport {
            var out: [(token: TokenID, probability: Double)] = []
            for i in 0..<logits.count where logits[i] > -.infinity {
                out.append((TokenID(i), exp(Double((logits[i] - m) * scale))))
            }
            let total = out.reduce(0) { $0 + $1.probability }
            return out.map { ($0.token, $0.probability / total) }
                .sorted { $0.probability > $1.probability || ($0.probability == $1.probability && $0.token < $1.token) }
        }
        selectCandidates(logits, maximum: m, scale: scale)
        let total = weights.reduce(0, +)
        return zip(candidates, weights).map { (TokenID($0.index), $1 / total) }
    }

    private var restrictsSupport: Bool { topK > 0 || topP < 1 }

    /// Fills `candidates` (best first) and `weights` with the kept tokens.
    private mutating func selectCandidates(_ logits: UnsafeBufferPointer<Float>, maximum m: Float, scale: Float) {
        var k = topK > 0 ? topK : min(64, logits.count)
        while true {
            if k >= logits.count / 4 && k < logits.count {
                // A broad nucleus: one full sort beats more rounds of selection.
                k = logits.count
                candidates.removeAll(keepingCapacity: true)
                for i in 0..<logits.count where logits[i].isFinite { candidates.append((i, logits[i])) }
                candidates.sort { $0.value > $1.value || ($0.value == $1.value && $0.index < $1.index) }
                if topK > 0 && candidates.count > topK { candidates.removeSubrange(topK...) }
            } else {
                selector.select(k, from: logits, into: &candidates)
            }
            weights.removeAll(keepingCapacity: true)
            for c in candidates { weights.append(exp(Double((c.value - m) * scale))) }
            guard topP < 1 else { return }
            // Mass the nucleus is measured against: the top-k's own, or the whole row's.
            let coversAll = topK > 0 || candidates.count < k || k >= logits.count
            let total = topK > 0 ? weights.reduce(0, +) : Double(LogProbabilities.sumExp(logits, subtracting: m, scale: scale))
            let goal = Double(max(topP, 0)) * total
            var running = 0.0
            for j in weights.indices {
                running += weights[j]
                if running >= goal {
                    candidates.removeSubrange((j + 1)...)
                    weights.removeSubrange((j + 1)...)
                    return
                }
            }
            if coversAll { return }
            k = min(k * 4, logits.count)
        }
    }
}
