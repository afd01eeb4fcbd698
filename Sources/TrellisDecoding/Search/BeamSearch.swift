import TrellisCore

/// Beam search over a `NextTokenModel` restricted by a `LogitConstraint`, as in GENRE's
/// constrained decoding (De Cao et al. 2021, "Autoregressive Entity Retrieval"), with a cursor
/// state per hypothesis and forced runs appended in one pass (jump-forward).
///
/// The prompt is prefilled once into one sequence; hypotheses fork it (the first child of a
/// hypothesis reuses its parent's sequence, the others fork it, dead ones are released). A step
/// is one *decision* per live hypothesis: every row is log-softmaxed over the full vocabulary
/// (model probabilities), masked to the constraint's allowed tokens (then biased, if the
/// constraint biases), and each candidate token is followed at once by the run of tokens the
/// constraint then forces (exactly one allowed). Candidates from all hypotheses are ranked by
/// log-probability: the best `beamSize` that continue stay live; those that finish (an end token
/// the constraint accepts after, or an accepting dead end, or the budget reached in an accepting
/// state) and rank among the first `beamSize` candidates join the results, ranked by
/// logProb / length^α. Because forced runs belong to the decision that caused them, appending a
/// run in one pass or token by token gives identical results; only the number of passes changes.
///
/// Never returns a hypothesis the constraint rejects or one with a -inf score: when fewer valid
/// continuations exist than beams, fewer results come back. Stops when no hypothesis is live, or
/// early once no live hypothesis can still enter the results.
/// Cost per step: O(V) per live row (log-sum-exp, SIMD) plus O(a log k) to pick among a allowed
/// tokens, one batched model pass (or one per forced token when forced tokens are scored by the
/// model and it cannot return logits at every position).
public struct BeamSearch<C: LogitConstraint> {
    public let constraint: C
    public var options: BeamSearchOptions

    public init(constraint: C, options: BeamSearchOptions = BeamSearchOptions()) {
        self.constraint = constraint
        self.options = options
    }

    /// The finished hypotheses after `prompt` (at least one token), best first. The search runs
    /// in a new sequence, or in a fork of `parent` whose cached prefix is shared (e.g. a document
    /// read once for many mentions); `parent` itself is left untouched.
    /// Pass a `workspace` to reuse its buffers across searches.
    public func run(model: any NextTokenModel, prompt: [TokenID], parent: SequenceID? = nil,
                    workspace: BeamSearchWorkspace? = nil) throws -> [BeamHypothesis<C.State>]
    {
        try search(model: model, prompt: prompt, parent: parent, workspace: workspace).hypotheses
    }

    /// Like `run`, with the search's statistics (model time apart from masking and selection).
    public func search(model: any NextTokenModel, prompt: [TokenID], parent: SequenceID? = nil,
                       workspace: BeamSearchWorkspace? = nil) throws -> BeamSearchResult<C.State>
    {
        guard !prompt.isEmpty else { throw TrellisError.invalidArgument("beam search needs at least one prompt token") }
        guard options.beamSize >= 1 else { throw TrellisError.invalidArgument("beam size must be at least 1, got \(options.beamSize)") }
        guard options.maxNewTokens >= 0 else {
            throw TrellisError.invalidArgument("maxNewTokens must not be negative, got \(options.maxNewTokens)")
        }
        if let count = options.resultCount, count < 1 {
            throw TrellisError.invalidArgument("resultCount must be at least 1, got \(count)")
        }
        let run = BeamSearchRun(constraint: constraint, options: options, model: model,
                                workspace: workspace ?? BeamSearchWorkspace())
        defer { run.releaseAll() }
        return try run.execute(prompt: prompt, parent: parent)
    }
}
