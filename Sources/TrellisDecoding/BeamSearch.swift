import Foundation
import TrellisCore

/// Settings of a constrained beam search.
public struct BeamSearchOptions: Sendable {
    /// Hypotheses kept alive per step.
    public var beamSize: Int
    /// Longest continuation, in tokens.
    public var maxNewTokens: Int
    /// Finished hypotheses are ranked by logProb / length^lengthPenalty (0 = plain sum).
    public var lengthPenalty: Float
    /// Tokens that end a hypothesis (when the constraint accepts after them), e.g. EOS.
    public var endTokens: Set<TokenID>
    /// Append runs of forced tokens (the constraint allows exactly one) in one batched pass.
    /// Forced tokens then add log 1 = 0 to the score: they are certain given the constraint.
    public var jumpForward: Bool

    public init(beamSize: Int = 5, maxNewTokens: Int = 32, lengthPenalty: Float = 1,
                endTokens: Set<TokenID> = [], jumpForward: Bool = false) {
        self.beamSize = beamSize
        self.maxNewTokens = maxNewTokens
        self.lengthPenalty = lengthPenalty
        self.endTokens = endTokens
        self.jumpForward = jumpForward
    }
}

/// One finished output of a beam search.
public struct BeamHypothesis<State> {
    /// Generated tokens (forced tokens included).
    public var tokens: [TokenID]
    /// Sum of the model's log-probabilities of the chosen tokens (plus any constraint bias).
    public var logProb: Float
    /// Length-normalized score used for ranking.
    public var score: Float
    /// The constraint's state after the last token (e.g. a trie node holding payloads).
    public var state: State
}

/// Beam search over a `NextTokenModel` restricted by a `LogitConstraint`
/// (as in GENRE's constrained decoding, De Cao et al. 2021).
///
/// Each step log-softmaxes every live row over the whole vocabulary (so scores are model
/// probabilities), keeps only tokens the constraint allows, and extends the best
/// `beamSize` hypotheses with one batched `extend`. Children fork their parent's KV cache;
/// the first child reuses it. Never produces a hypothesis the constraint rejects: when fewer
/// valid continuations exist than beams, fewer hypotheses come back. Stops early once
/// `beamSize` hypotheses have finished and no live one scores better.
public struct BeamSearch<C: LogitConstraint> {
    public let constraint: C
    public var options: BeamSearchOptions

    public init(constraint: C, options: BeamSearchOptions = BeamSearchOptions()) {
        self.constraint = constraint
        self.options = options
    }

    struct Beam {
        var sequence: SequenceID
        var tokens: [TokenID]
        var logProb: Float
        var state: C.State
    }

    struct Candidate {
        var parent: Int
        var token: TokenID
        var logProb: Float
    }

    private func normalized(_ logProb: Float, _ length: Int) -> Float {
        options.lengthPenalty == 0 ? logProb : logProb / powf(Float(max(length, 1)), options.lengthPenalty)
    }

    /// Runs the search after `prompt` (at least one token), in a new sequence or in a fork of
    /// `parent` (whose cached prefix is shared, e.g. a document read once for many mentions).
    public func run(model: any NextTokenModel, prompt: [TokenID], parent: SequenceID? = nil) throws -> [BeamHypothesis<C.State>] {
        guard !prompt.isEmpty else { throw TrellisError.invalidArgument("beam search needs at least one prompt token") }
        guard options.beamSize >= 1 else { throw TrellisError.invalidArgument("beam size must be at least 1") }
        let logits = LogitMatrix(rows: 1, width: model.vocabularySize)
        let first = try parent.map { try model.fork($0) } ?? model.makeSequence()
        var live: [SequenceID] = [first]
        defer { for s in live { model.release(s) } }
        try model.extend([SequenceExtension(sequence: first, tokens: prompt)], logits: logits)

        var beams = [Beam(sequence: first, tokens: [], logProb: 0, state: constraint.initialState)]
        var finished: [BeamHypothesis<C.State>] = []
        var candidates: [Candidate] = []
        let width = options.beamSize

        for _ in 0..<options.maxNewTokens {
            candidates.removeAll(keepingCapacity: true)
            for (b, beam) in beams.enumerated() {
                collectCandidates(beam: b, state: beam.state, base: beam.logProb, row: logits.row(b), into: &candidates)
            }
            candidates.sort { $0.logProb > $1.logProb }

            var next: [Beam] = []
            var parentOf: [Int] = []
            for cand in candidates {
                if next.count == width { break }
                let beam = beams[cand.parent]
                guard let state = constraint.advance(beam.state, by: cand.token) else { continue }
                let tokens = beam.tokens + [cand.token]
                let accepting = constraint.isAccepting(state)
                if options.endTokens.contains(cand.token) {
                    if accepting {
                        finished.append(BeamHypothesis(tokens: tokens, logProb: cand.logProb, score: normalized(cand.logProb, tokens.count), state: state))
                    }
                    continue
                }
                if accepting && constraint.allowed(in: state).isEmpty {
                    finished.append(BeamHypothesis(tokens: tokens, logProb: cand.logProb, score: normalized(cand.logProb, tokens.count), state: state))
                    continue
                }
                next.append(Beam(sequence: beam.sequence, tokens: tokens, logProb: cand.logProb, state: state))
                parentOf.append(cand.parent)
            }

            if finished.count >= width {
                finished.sort { $0.score > $1.score }
                finished.removeSubrange(width...)
                let worst = finished[width - 1].score
                let bestLive = next.map { normalized($0.logProb, $0.tokens.count) }.max() ?? -.infinity
                if bestLive <= worst { next.removeAll() }
            }
            if next.isEmpty { break }

            // Cache bookkeeping: the first child of a parent takes its sequence, others fork it.
            var used = [Bool](repeating: false, count: beams.count)
            var requests: [SequenceExtension] = []
            requests.reserveCapacity(next.count)
            for i in next.indices {
                let p = parentOf[i]
                if used[p] {
                    next[i].sequence = try model.fork(beams[p].sequence)
                    live.append(next[i].sequence)
                } else {
                    used[p] = true
                }
                var tokens = [next[i].tokens.last!]
                if options.jumpForward {
                    while case .only(let only) = constraint.allowed(in: next[i].state), only.count == 1,
                          !options.endTokens.contains(only[0]), !constraint.isAccepting(next[i].state),
                          next[i].tokens.count < options.maxNewTokens,
                          let forced = constraint.advance(next[i].state, by: only[0]) {
                        next[i].state = forced
                        next[i].tokens.append(only[0])
                        tokens.append(only[0])
                    }
                }
                requests.append(SequenceExtension(sequence: next[i].sequence, tokens: tokens))
            }
            for (p, beam) in beams.enumerated() where !used[p] {
                model.release(beam.sequence)
                live.removeAll { $0 == beam.sequence }
            }
            // Contexts full: stop extending rather than fail the whole search.
            if requests.contains(where: { model.length(of: $0.sequence) + $0.tokens.count > model.contextLength }) { beams = next; break }
            logits.resize(rows: requests.count)
            try model.extend(requests, logits: logits)
            beams = next
        }
        // Out of budget: hypotheses the constraint already accepts still count.
        for beam in beams where constraint.isAccepting(beam.state) && !beam.tokens.isEmpty {
            finished.append(BeamHypothesis(tokens: beam.tokens, logProb: beam.logProb, score: normalized(beam.logProb, beam.tokens.count), state: beam.state))
        }
        finished.sort { $0.score > $1.score }
        return Array(finished.prefix(width))
    }

    private func collectCandidates(beam b: Int, state: C.State, base: Float, row: UnsafeMutableBufferPointer<Float>,
                                   into candidates: inout [Candidate]) {
        let allowed = constraint.allowed(in: state)
        let logZ = LogProbabilities.logSumExp(UnsafeBufferPointer(row))
        if constraint.biasesLogits {
            for i in row.indices { row[i] -= logZ }
            constraint.applyMask(in: state, to: row)
            constraint.addBias(in: state, to: row)
            for (index, value) in LogProbabilities.topK(UnsafeBufferPointer(row), options.beamSize * 2) where value.isFinite {
                candidates.append(Candidate(parent: b, token: TokenID(index), logProb: base + value))
            }
            return
        }
        switch allowed {
        case .only(let tokens):
            // Keep the best few per beam; a hypothesis never needs more than beamSize children.
            var local: [Candidate] = []
            for t in tokens where Int(t) < row.count {
                let lp = row[Int(t)] - logZ
                if lp.isFinite { local.append(Candidate(parent: b, token: t, logProb: base + lp)) }
            }
            if local.count > options.beamSize * 2 {
                local.sort { $0.logProb > $1.logProb }
                local.removeSubrange((options.beamSize * 2)...)
            }
            candidates.append(contentsOf: local)
        case .all:
            for (index, value) in LogProbabilities.topK(UnsafeBufferPointer(row), options.beamSize * 2) {
                candidates.append(Candidate(parent: b, token: TokenID(index), logProb: base + value - logZ))
            }
        case .mask:
            constraint.applyMask(in: state, to: row)
            for (index, value) in LogProbabilities.topK(UnsafeBufferPointer(row), options.beamSize * 2) {
                candidates.append(Candidate(parent: b, token: TokenID(index), logProb: base + value - logZ))
            }
        }
    }
}
