import TrellisCore

/// Why generation stopped.
public enum FinishReason: String, Sendable, Codable {
    /// A stop token (e.g. EOS or end of turn) was produced.
    case stop
    /// The token budget ran out.
    case length
    /// The constraint was satisfied and allows nothing more.
    case constraint
    /// The consumer asked to stop.
    case cancelled
}

/// Result of one generation.
public struct GenerationResult: Sendable {
    public var tokens: [TokenID]
    public var finishReason: FinishReason
    public var promptTokens: Int
}

/// Samples a continuation token by token, masking (and biasing) every step with a
/// `LogitConstraint`, and hands each token to a callback as soon as it exists (streaming).
public struct TokenGenerator<C: LogitConstraint> {
    public let constraint: C
    public var maxTokens: Int
    public var stopTokens: Set<TokenID>

    public init(constraint: C, maxTokens: Int, stopTokens: Set<TokenID>) {
        self.constraint = constraint
        self.maxTokens = maxTokens
        self.stopTokens = stopTokens
    }

    /// Generates after `prompt`. `onToken` returns false to stop early.
    public func generate(model: any NextTokenModel, prompt: [TokenID], sampler: Sampler,
                         onToken: (TokenID) throws -> Bool = { _ in true }) throws -> GenerationResult {
        guard !prompt.isEmpty else { throw TrellisError.invalidArgument("the prompt is empty") }
        guard prompt.count < model.contextLength else {
            throw TrellisError.limitExceeded(what: "prompt length in tokens", limit: model.contextLength - 1, got: prompt.count)
        }
        var sampler = sampler
        let logits = LogitMatrix(rows: 1, width: model.vocabularySize)
        let sequence = try model.makeSequence()
        defer { model.release(sequence) }
        try model.extend([SequenceExtension(sequence: sequence, tokens: prompt)], logits: logits)
        var state = constraint.initialState
        var out: [TokenID] = []
        let budget = min(maxTokens, model.contextLength - prompt.count)
        while out.count < budget {
            let row = logits.row(0)
            if constraint.biasesLogits {
                LogProbabilities.logSoftmax(row)
                constraint.applyMask(in: state, to: row)
                constraint.addBias(in: state, to: row)
            } else {
                constraint.applyMask(in: state, to: row)
            }
            guard let token = sampler.sample(UnsafeBufferPointer(row)),
                  let nextState = constraint.advance(state, by: token) else {
                // Nothing allowed: the constraint is either complete or a dead end.
                return GenerationResult(tokens: out, finishReason: constraint.isAccepting(state) ? .constraint : .length,
                                        promptTokens: prompt.count)
            }
            state = nextState
            if stopTokens.contains(token) {
                return GenerationResult(tokens: out, finishReason: .stop, promptTokens: prompt.count)
            }
            out.append(token)
            guard try onToken(token) else {
                return GenerationResult(tokens: out, finishReason: .cancelled, promptTokens: prompt.count)
            }
            if constraint.isAccepting(state) && constraint.allowed(in: state).isEmpty {
                return GenerationResult(tokens: out, finishReason: .constraint, promptTokens: prompt.count)
            }
            if out.count < budget {
                try model.extend([SequenceExtension(sequence: sequence, tokens: [token])], logits: logits)
            }
        }
        return GenerationResult(tokens: out, finishReason: .length, promptTokens: prompt.count)
    }
}
