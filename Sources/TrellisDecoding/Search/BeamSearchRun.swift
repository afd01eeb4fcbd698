import TrellisCore

/// The mutable state of one `BeamSearch.search` call: live hypotheses, logit buffers reused
/// across steps, the results so far and the sequences it holds (released on every exit path).
final class BeamSearchRun<C: LogitConstraint> {
    /// A live hypothesis: its sequence holds every token, its next-token logits are `row` of
    /// `current`, and its state allows at least two tokens (forced runs are already absorbed).
    struct Beam {
        var sequence: SequenceID
        var tokens: [TokenID]
        var logProb: Float
        var state: C.State
        var row: Int
        var forced: Int
    }

    enum Outcome: Equatable {
        case continuing
        case finishing(BeamFinishReason)
    }

    /// One token choice for one live hypothesis, with the forced run that follows it.
    struct Candidate {
        var parent: Int
        var token: TokenID
        /// Parent's log-probability plus the chosen token's (the forced run is added after the
        /// model has seen it, under `.modelLogProbability`).
        var logProb: Float
        /// Whether `token` itself was the only allowed token (a run forced from the start).
        var tokenForced: Bool
        /// Forced tokens after `token`; ends with the end token when finishing by one.
        var tail: [TokenID]
        /// The constraint state before each tail token (to mask and bias its row).
        var tailStates: [C.State]
        /// The state after `token` and the tail.
        var state: C.State
        var outcome: Outcome
    }

    let constraint: C
    let options: BeamSearchOptions
    let model: any NextTokenModel
    let vocabularySize: Int
    let resultCount: Int
    /// Most tokens a hypothesis may generate (options capped by the context length).
    var budget = 0

    /// Logit rows and selection scratch (`workspace.current` holds the live hypotheses' rows).
    let workspace: BeamSearchWorkspace

    var beams: [Beam] = []
    var finished: [BeamHypothesis<C.State>] = []
    var statistics = BeamSearchStatistics()
    /// Sequences this run created and has not released.
    var held = Set<SequenceID>()

    var candidates: [Candidate] = []

    init(constraint: C, options: BeamSearchOptions, model: any NextTokenModel, workspace: BeamSearchWorkspace) {
        self.constraint = constraint
        self.options = options
        self.model = model
        vocabularySize = model.vocabularySize
        resultCount = options.resultCount ?? options.beamSize
        self.workspace = workspace
        workspace.prepare(width: max(vocabularySize, 1))
    }

    func execute(prompt: [TokenID], parent: SequenceID?) throws -> BeamSearchResult<C.State> {
        let started = ContinuousClock.now
        let sequence: SequenceID
        if let parent {
            sequence = try model.fork(parent)
            statistics.forks += 1
        } else {
            sequence = try model.makeSequence()
        }
        held.insert(sequence)
        let used = model.length(of: sequence) + prompt.count
        guard used <= model.contextLength else {
            throw TrellisError.limitExceeded(what: "prompt length in tokens", limit: model.contextLength, got: used)
        }
        budget = min(options.maxNewTokens, model.contextLength - used)
        try callModel { try model.extend([SequenceExtension(sequence: sequence, tokens: prompt)], logits: workspace.current) }
        statistics.appendedTokens += prompt.count

        let initial = constraint.initialState
        beams = [Beam(sequence: sequence, tokens: [], logProb: 0, state: initial, row: 0, forced: 0)]
        if budget == 0 || constraint.allowed(in: initial).isEmpty {
            // Nothing can be generated: the empty output counts if the constraint accepts it.
            if constraint.isAccepting(initial) {
                finished.append(BeamHypothesis(tokens: [], logProb: 0, score: 0, state: initial,
                                               finishReason: budget == 0 ? .lengthLimit : .constraintComplete,
                                               forcedTokenCount: 0))
            }
            releaseBeams()
        }

        while !beams.isEmpty {
            statistics.steps += 1
            candidates.removeAll(keepingCapacity: true)
            var scratch = CandidateScratch()
            swap(&scratch, &workspace.scratch)
            for b in beams.indices { collectCandidates(for: b, scratch: &scratch) }
            swap(&scratch, &workspace.scratch)
            let (live, done) = select()
            try advance(live: live, done: done)
            rankFinished()
            if canStopEarly() { releaseBeams() }
        }
        rankFinished()
        let elapsed = started.duration(to: .now)
        let total = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        statistics.decodingSeconds = max(0, total - statistics.modelSeconds)
        return BeamSearchResult(hypotheses: Array(finished.prefix(resultCount)), statistics: statistics)
    }

    /// Ranks the candidates of all hypotheses by log-probability (ties: parent, then token):
    /// the first `beamSize` that continue stay live; those that finish join the results only if
    /// they rank among the first `beamSize` candidates overall.
    func select() -> (live: [Candidate], done: [Candidate]) {
        candidates.sort {
            $0.logProb > $1.logProb
                || ($0.logProb == $1.logProb && ($0.parent < $1.parent || ($0.parent == $1.parent && $0.token < $1.token)))
        }
        let width = options.beamSize
        var live: [Candidate] = [], done: [Candidate] = []
        for (rank, candidate) in candidates.enumerated() {
            switch candidate.outcome {
            case .continuing:
                if live.count < width { live.append(candidate) }
            case .finishing:
                if rank < width { done.append(candidate) }
            }
            if live.count == width && rank >= width - 1 { break }
        }
        return (live, done)
    }

    /// Best first: normalized score, then log-probability, then tokens.
    func rankFinished() {
        finished.sort {
            if $0.score != $1.score { return $0.score > $1.score }
            if $0.logProb != $1.logProb { return $0.logProb > $1.logProb }
            return $0.tokens.lexicographicallyPrecedes($1.tokens)
        }
        if finished.count > resultCount { finished.removeSubrange(resultCount...) }
    }

    /// Whether no live hypothesis can still reach the worst kept result. Exact: log-probabilities
    /// never rise (no bias), so a live hypothesis of log-probability S ≤ 0 and length l ends with
    /// a normalized score ≤ S / L^α for some L in l+1 ... budget.
    func canStopEarly() -> Bool {
        guard options.earlyStopping, !constraint.biasesLogits, finished.count >= resultCount, !beams.isEmpty else {
            return false
        }
        let worst = finished[resultCount - 1].score
        let alpha = options.lengthPenalty
        for beam in beams {
            let s = beam.logProb
            let bound: Float
            if alpha == 0 || s >= 0 {
                bound = s
            } else {
                let length = alpha > 0 ? max(budget, 1) : beam.tokens.count + 1
                bound = options.normalizedScore(logProb: s, length: length)
            }
            if bound >= worst { return false }
        }
        return true
    }

    func releaseBeams() {
        for beam in beams { release(beam.sequence) }
        beams.removeAll()
    }

    func release(_ sequence: SequenceID) {
        if held.remove(sequence) != nil { model.release(sequence) }
    }

    func releaseAll() {
        for sequence in held { model.release(sequence) }
        held.removeAll()
        beams.removeAll()
    }

    /// Runs one model call, timing it.
    func callModel(_ body: () throws -> Void) throws {
        let start = ContinuousClock.now
        defer {
            let d = start.duration(to: .now)
            statistics.modelSeconds += Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
            statistics.modelCalls += 1
        }
        try body()
    }
}
