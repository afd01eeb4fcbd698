import TrellisCore

/// One step of a greedy decode: the chosen token, its logit, and how far ahead of the runner-up
/// it was (a small margin marks a near-tie that float rounding may decide either way).
public struct GreedyStep: Sendable, Equatable {
    public var token: TokenID
    public var logit: Float
    public var margin: Float
}

extension TransformerModel {
    /// The next-token logits after `prompt`, computed in a temporary sequence (one prefill pass).
    public func logits(forPrompt prompt: [TokenID]) throws -> [Float] {
        let sequence = try makeSequence()
        defer { release(sequence) }
        let matrix = LogitMatrix(rows: 1, width: vocabularySize)
        try extend([SequenceExtension(sequence: sequence, tokens: prompt)], logits: matrix)
        return matrix.rowArray(0)
    }

    /// Greedy continuation of `prompt`: `count` tokens (fewer if `stop` is produced, which is
    /// included), with each step's winning logit and margin over the runner-up.
    public func greedySteps(prompt: [TokenID], count: Int, stop: TokenID? = nil) throws -> [GreedyStep] {
        let sequence = try makeSequence()
        defer { release(sequence) }
        let matrix = LogitMatrix(rows: 1, width: vocabularySize)
        var steps: [GreedyStep] = []
        var next = prompt
        while steps.count < count {
            try extend([SequenceExtension(sequence: sequence, tokens: next)], logits: matrix)
            let step = Self.bestTwo(matrix.row(0))
            steps.append(step)
            if step.token == stop { break }
            next = [step.token]
        }
        return steps
    }

    /// Greedy continuation of `prompt`: up to `count` tokens, stopping after `stop` if given.
    public func greedy(prompt: [TokenID], count: Int, stop: TokenID? = nil) throws -> [TokenID] {
        try greedySteps(prompt: prompt, count: count, stop: stop).map(\.token)
    }

    /// Argmax of a logit row (lowest id on ties) and its margin over the second best.
    static func bestTwo(_ row: UnsafeMutableBufferPointer<Float>) -> GreedyStep {
        var best = -Float.infinity, second = -Float.infinity, bestIndex = 0
        for (i, v) in row.enumerated() {
            if v > best {
                second = best
                best = v
                bestIndex = i
            } else if v > second {
                second = v
            }
        }
        return GreedyStep(token: TokenID(bestIndex), logit: best, margin: best - second)
    }
}
