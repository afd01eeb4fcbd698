import Foundation
import TrellisCore

/// How the next token is chosen from (already masked) logits: greedy, or temperature sampling
/// restricted by top-k and nucleus (top-p; Holtzman et al. 2020) with a seeded generator.
public struct Sampler: Sendable {
    public var temperature: Float
    public var topK: Int
    public var topP: Float
    private var rng: SeededGenerator

    /// `temperature` 0 means greedy. `topK` 0 means no limit; `topP` 1 means no nucleus cut.
    public init(temperature: Float = 0, topK: Int = 0, topP: Float = 1, seed: UInt64 = 0) {
        self.temperature = temperature
        self.topK = topK
        self.topP = topP
        self.rng = SeededGenerator(seed: seed)
    }

    public var isGreedy: Bool { temperature <= 0 }

    /// Picks a token from `logits` (entries at -inf are never chosen); nil if all are -inf.
    public mutating func sample(_ logits: UnsafeBufferPointer<Float>) -> TokenID? {
        if isGreedy {
            var best = -1
            var bestValue = -Float.infinity
            for (i, v) in logits.enumerated() where v > bestValue {
                best = i
                bestValue = v
            }
            return best >= 0 ? TokenID(best) : nil
        }
        // Candidates: top-k (or every finite entry), then the nucleus.
        let limit = topK > 0 ? topK : logits.count
        var candidates = limit < logits.count
            ? LogProbabilities.topK(logits, limit)
            : logits.enumerated().filter { $0.element > -Float.infinity }.map { (index: $0.offset, value: $0.element) }.sorted { $0.value > $1.value }
        guard let top = candidates.first?.value else { return nil }
        var weights = candidates.map { Double(expf(($0.value - top) / temperature)) }
        if topP < 1 {
            let total = weights.reduce(0, +)
            var running = 0.0
            var keep = weights.count
            for (i, w) in weights.enumerated() {
                running += w
                if running / total >= Double(topP) {
                    keep = i + 1
                    break
                }
            }
            candidates.removeSubrange(keep...)
            weights.removeSubrange(keep...)
        }
        let total = weights.reduce(0, +)
        var r = Double.random(in: 0..<total, using: &rng)
        for (i, w) in weights.enumerated() {
            r -= w
            if r < 0 { return TokenID(candidates[i].index) }
        }
        return TokenID(candidates[candidates.count - 1].index)
    }
}
