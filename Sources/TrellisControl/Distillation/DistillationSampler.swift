import Foundation
import TrellisCore
import TrellisDecoding

/// Ancestral sampling of fixed-length continuations from a `NextTokenModel`, the training data
/// of HMM distillation (GeLaTo, Zhang et al. 2023, §3: sample from the LM, fit the HMM by EM).
///
/// Work is batched: each round prefills `batchSize / forksPerPrompt` prompts in one `extend`,
/// forks `forksPerPrompt` children off every prompt (they share its KV cache), then extends all
/// live children together one token per step, so a round of B sequences × T tokens costs T
/// batched passes of B rows. Sampling is plain softmax at `temperature` (no top-k/p: the HMM
/// should see the model's distribution), O(V) per row with no allocation. A sequence that
/// produces an end token is padded with `padToken` to length T (the HMM learns that the end is
/// absorbing) and leaves the batch.
public struct DistillationSampler {
    public var length: Int
    public var batchSize: Int
    public var forksPerPrompt: Int
    public var temperature: Float
    public var endTokens: Set<TokenID>
    public var padToken: TokenID

    public init(length: Int, batchSize: Int = 64, forksPerPrompt: Int = 8, temperature: Float = 1,
                endTokens: Set<TokenID>, padToken: TokenID) {
        self.length = length
        self.batchSize = batchSize
        self.forksPerPrompt = forksPerPrompt
        self.temperature = temperature
        self.endTokens = endTokens
        self.padToken = padToken
    }

    /// `count` sequences of `length` tokens (flat, row-major), prompts used round-robin.
    /// `progress(done, total)` is called after every round.
    public func sample(model: any NextTokenModel, prompts: [[TokenID]], count: Int, seed: UInt64,
                       progress: (Int, Int) -> Void = { _, _ in }) throws -> [TokenID] {
        guard count > 0, length > 0 else { throw ControlError.invalidArgument("distillation needs at least one sample of at least one token") }
        guard batchSize >= 1, forksPerPrompt >= 1 else { throw ControlError.invalidArgument("batch size and forks per prompt must be positive") }
        guard temperature > 0 else { throw ControlError.invalidArgument("distillation temperature must be positive") }
        guard !prompts.isEmpty, prompts.allSatisfy({ !$0.isEmpty }) else { throw ControlError.invalidArgument("distillation needs non-empty prompts") }
        if let longest = prompts.map(\.count).max(), longest + length > model.contextLength {
            throw ControlError.invalidArgument("prompt (\(longest) tokens) + length \(length) exceeds the context of \(model.contextLength)")
        }
        var rng = SeededGenerator(seed: seed)
        var out = [TokenID](repeating: padToken, count: count * length)
        let logits = LogitMatrix(rows: max(batchSize, 1), width: model.vocabularySize)
        var produced = 0
        var promptCursor = 0
        while produced < count {
            let want = min(batchSize, count - produced)
            let groups = (want + forksPerPrompt - 1) / forksPerPrompt
            var roots: [SequenceID] = []
            defer { for r in roots { model.release(r) } }
            var requests: [SequenceExtension] = []
            for _ in 0..<groups {
                let root = try model.makeSequence()
                roots.append(root)
                requests.append(SequenceExtension(sequence: root, tokens: prompts[promptCursor % prompts.count]))
                promptCursor += 1
            }
            logits.resize(rows: groups)
            try model.extend(requests, logits: logits)
            // Children: row = produced + k; first token drawn from the prompt's row.
            var live: [(sequence: SequenceID, row: Int)] = []
            defer { for c in live { model.release(c.sequence) } }
            var next: [TokenID] = []
            for k in 0..<want {
                let g = k / forksPerPrompt
                let token = draw(logits.row(g), &rng)
                out[(produced + k) * length] = token
                if endTokens.contains(token) { continue }
                if length > 1 {
                    live.append((try model.fork(roots[g]), produced + k))
                    next.append(token)
                }
            }
            for r in roots { model.release(r) }
            roots.removeAll()
            var t = 1
            while t < length && !live.isEmpty {
                logits.resize(rows: live.count)
                try model.extend(zip(live, next).map { SequenceExtension(sequence: $0.0.sequence, tokens: [$0.1]) }, logits: logits)
                var survivors: [(sequence: SequenceID, row: Int)] = []
                var survivorTokens: [TokenID] = []
                for (i, child) in live.enumerated() {
                    let token = draw(logits.row(i), &rng)
                    out[child.row * length + t] = token
                    if endTokens.contains(token) || t + 1 == length {
                        model.release(child.sequence)
                    } else {
                        survivors.append(child)
                        survivorTokens.append(token)
                    }
                }
                live = survivors
                next = survivorTokens
                t += 1
            }
            produced += want
            progress(produced, count)
        }
        return out
    }

    /// One draw from softmax(row / temperature); overwrites `row` with unnormalized weights.
    private func draw(_ row: UnsafeMutableBufferPointer<Float>, _ rng: inout SeededGenerator) -> TokenID {
        var top = -Float.infinity
        for v in row where v > top { top = v }
        var total: Double = 0
        let inverse = 1 / temperature
        for i in row.indices {
            let w = row[i] > -.infinity ? expf((row[i] - top) * inverse) : 0
            row[i] = w
            total += Double(w)
        }
        var u = Double.random(in: 0..<1, using: &rng) * total
        for i in row.indices {
            u -= Double(row[i])
            if u < 0 { return TokenID(i) }
        }
        var last = row.count - 1
        while last > 0 && row[last] == 0 { last -= 1 }
        return TokenID(last)
    }
}
