import Foundation
import TrellisCore

/// How a token that the constraint forces (the only allowed token) counts in a hypothesis's score.
public enum ForcedTokenScoring: String, Sendable, Codable {
    /// It adds its model log-probability, exactly as if it had been chosen: scores are the
    /// model's probability of the whole output. Jump-forward then needs an
    /// `AllPositionLogitsModel` to append a forced run in one pass; with other models the run is
    /// appended one token per (batched) pass.
    case modelLogProbability
    /// It adds 0: given the constraint it is certain, so a hypothesis is scored by its branching
    /// decisions only (GENRE-style names scored where they differ). Any model appends a forced run
    /// in one pass.
    case certain
}

/// Why a hypothesis finished.
public enum BeamFinishReason: String, Sendable, Codable {
    /// It emitted an end token and the constraint accepted after it.
    case endToken
    /// The constraint accepts and allows nothing more.
    case constraintComplete
    /// The token budget ran out while the constraint accepted.
    case lengthLimit
}

/// Settings of a `BeamSearch`.
public struct BeamSearchOptions: Sendable {
    /// Live hypotheses kept per step (≥ 1).
    public var beamSize: Int
    /// Most tokens a hypothesis may generate (forced and end tokens included); also capped by
    /// the model's context length.
    public var maxNewTokens: Int
    /// Length normalization exponent α: finished hypotheses rank by logProb / length^α
    /// (0 ranks by the plain sum; 1 by the per-token average).
    public var lengthPenalty: Float
    /// Tokens that end a hypothesis when the constraint accepts after them (EOS, end of turn).
    public var endTokens: Set<TokenID>
    /// Append each decision's forced run in one `extend` pass (see `ForcedTokenScoring`);
    /// false appends one token per pass. Results are identical either way.
    public var jumpForward: Bool
    /// How forced tokens count in the score.
    public var forcedTokenScoring: ForcedTokenScoring
    /// Stop as soon as no live hypothesis can still enter the results (exact: the results are
    /// the same as without it). Off when the constraint biases logits (scores may then rise).
    public var earlyStopping: Bool
    /// Number of hypotheses returned (nil: `beamSize`).
    public var resultCount: Int?

    public init(beamSize: Int = 5, maxNewTokens: Int = 32, lengthPenalty: Float = 1,
                endTokens: Set<TokenID> = [], jumpForward: Bool = true,
                forcedTokenScoring: ForcedTokenScoring = .modelLogProbability,
                earlyStopping: Bool = true, resultCount: Int? = nil) {
        self.beamSize = beamSize
        self.maxNewTokens = maxNewTokens
        self.lengthPenalty = lengthPenalty
        self.endTokens = endTokens
        self.jumpForward = jumpForward
        self.forcedTokenScoring = forcedTokenScoring
        self.earlyStopping = earlyStopping
        self.resultCount = resultCount
    }

    /// logProb / length^α (the plain sum for an empty output).
    @inline(__always)
    public func normalizedScore(logProb: Float, length: Int) -> Float {
        guard lengthPenalty != 0, length > 0 else { return logProb }
        return logProb / Float(pow(Double(length), Double(lengthPenalty)))
    }
}

/// One finished output of a beam search.
public struct BeamHypothesis<State> {
    /// Generated tokens: chosen, forced and the final end token if any.
    public var tokens: [TokenID]
    /// Sum of the per-token log-probabilities (model log-softmax over the full vocabulary, then
    /// masked; plus any constraint bias; forced tokens per `ForcedTokenScoring`).
    public var logProb: Float
    /// The length-normalized score the results are ranked by.
    public var score: Float
    /// The constraint's state after the last token (e.g. the trie node holding the payloads).
    public var state: State
    public var finishReason: BeamFinishReason
    /// How many of `tokens` were forced by the constraint.
    public var forcedTokenCount: Int
}

extension BeamHypothesis: Sendable where State: Sendable {}

/// Counters and timings of one search, so mask cost is reported apart from model time.
public struct BeamSearchStatistics: Sendable, Equatable {
    /// Decision steps taken (each extends every live hypothesis by one decision and its forced run).
    public var steps = 0
    /// `extend` / `extendReturningAllLogits` calls, the prompt's included.
    public var modelCalls = 0
    /// Tokens appended to sequences, the prompt's included.
    public var appendedTokens = 0
    /// Tokens the constraint forced (appended in runs under jump-forward).
    public var forcedTokens = 0
    /// Sequences forked.
    public var forks = 0
    /// Candidate continuations scored (allowed tokens with a finite log-probability looked at).
    public var candidatesConsidered = 0
    /// Seconds inside the model's calls.
    public var modelSeconds: Double = 0
    /// Seconds in log-softmax, masking, constraint calls and selection.
    public var decodingSeconds: Double = 0
    public init() {}
}

/// The hypotheses of a search, best first, with its statistics.
public struct BeamSearchResult<State> {
    public var hypotheses: [BeamHypothesis<State>]
    public var statistics: BeamSearchStatistics
}

extension BeamSearchResult: Sendable where State: Sendable {}
