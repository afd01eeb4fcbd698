import Foundation
import TrellisCore
import TrellisDecoding
import TrellisTestSupport

/// The plain twin of `BeamSearch`: the same decision rules written the obvious way, over the
/// toy model as a pure function of the history (no sequences, forks or logit buffers), with
/// Double arithmetic, every allowed token of every hypothesis as a candidate, and no early stop.
struct ReferenceBeamSearch<C: LogitConstraint> {
    let model: ToyModel
    let constraint: C
    let options: BeamSearchOptions

    struct Result: Equatable {
        var tokens: [TokenID]
        var logProb: Double
        var reason: BeamFinishReason
    }

    struct Candidate {
        var parent: Int, token: TokenID, key: Double, tokens: [TokenID], tailLogProb: Double
        var state: C.State, finish: BeamFinishReason?
    }

    func allowedList(_ state: C.State) -> [TokenID] {
        switch constraint.allowed(in: state) {
        case .all: return (0..<model.vocabularySize).map { TokenID($0) }
        case .only(let tokens): return tokens.filter { $0 >= 0 && Int($0) < model.vocabularySize }
        case .mask(let m): return m.tokens.filter { Int($0) < model.vocabularySize }
        }
    }

    func run(prompt: [TokenID]) -> [Result] {
        let budget = min(options.maxNewTokens, model.contextLength - prompt.count)
        let width = options.beamSize
        let certain = options.forcedTokenScoring == .certain
        var finished: [Result] = []
        var beams: [(tokens: [TokenID], logProb: Double, state: C.State)] = [([], 0, constraint.initialState)]
        if budget == 0 || allowedList(constraint.initialState).isEmpty {
            if constraint.isAccepting(constraint.initialState) {
                finished.append(Result(tokens: [], logProb: 0, reason: budget == 0 ? .lengthLimit : .constraintComplete))
            }
            beams = []
        }
        while !beams.isEmpty {
            var candidates: [Candidate] = []
            for (b, beam) in beams.enumerated() {
                let allowed = allowedList(beam.state)
                for t in allowed {
                    var lp = model.logProb(of: t, after: prompt + beam.tokens)
                    guard lp.isFinite else { continue }
                    if allowed.count == 1 && certain { lp = 0 }
                    guard var s = constraint.advance(beam.state, by: t) else { continue }
                    var tokens = beam.tokens + [t]
                    var tail = 0.0
                    var finish: BeamFinishReason? = nil
                    var valid = true
                    if options.endTokens.contains(t) {
                        valid = constraint.isAccepting(s)
                        finish = .endToken
                    } else {
                        while true {
                            let next = allowedList(s)
                            if next.isEmpty { valid = constraint.isAccepting(s); finish = .constraintComplete; break }
                            if tokens.count >= budget { valid = constraint.isAccepting(s); finish = .lengthLimit; break }
                            guard next.count == 1 else { break }
                            let f = next[0]
                            if !certain { tail += model.logProb(of: f, after: prompt + tokens) }
                            guard let after = constraint.advance(s, by: f) else { valid = false; break }
                            tokens.append(f)
                            s = after
                            if options.endTokens.contains(f) { valid = constraint.isAccepting(s); finish = .endToken; break }
                        }
                    }
                    if valid {
                        candidates.append(Candidate(parent: b, token: t, key: beam.logProb + lp, tokens: tokens,
                                                    tailLogProb: tail, state: s, finish: finish))
                    }
                }
            }
            candidates.sort { $0.key > $1.key || ($0.key == $1.key && ($0.parent < $1.parent || ($0.parent == $1.parent && $0.token < $1.token))) }
            var next: [(tokens: [TokenID], logProb: Double, state: C.State)] = []
            var liveTaken = 0  // a live slot is spent even if the run then scores -inf
            for (rank, c) in candidates.enumerated() {
                let total = c.key + c.tailLogProb
                if let finish = c.finish {
                    if rank < width && total.isFinite { finished.append(Result(tokens: c.tokens, logProb: total, reason: finish)) }
                } else if liveTaken < width {
                    liveTaken += 1
                    if total.isFinite { next.append((c.tokens, total, c.state)) }
                }
            }
            beams = next
        }
        func score(_ r: Result) -> Double {
            options.lengthPenalty == 0 || r.tokens.isEmpty ? r.logProb : r.logProb / pow(Double(r.tokens.count), Double(options.lengthPenalty))
        }
        finished.sort { score($0) > score($1) || (score($0) == score($1) && $0.tokens.lexicographicallyPrecedes($1.tokens)) }
        return Array(finished.prefix(options.resultCount ?? width))
    }
}
