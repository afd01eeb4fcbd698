import TrellisCore

extension BeamSearchRun {
    /// Adds the candidates of live hypothesis `b`: its allowed tokens by log-probability, best
    /// first, each classified with its forced run, until `beamSize` continuing ones are found
    /// (no hypothesis needs more children than that; finishing ones met on the way are kept).
    func collectCandidates(for b: Int, scratch: inout CandidateScratch) {
        let beam = beams[b]
        let row = workspace.current.row(beam.row)
        let allowed = constraint.allowed(in: beam.state)
        let logZ = LogProbabilities.logSumExp(UnsafeBufferPointer(row))
        guard logZ.isFinite else { return }  // an all -inf (or broken) row has no valid token
        let biased = constraint.biasesLogits
        if biased {
            // Full row of model log-probabilities, masked, then the constraint's log-weights.
            LogProbabilities.logSoftmax(row)
            mask(row, to: allowed, kept: &scratch.keptValues)
            constraint.addBias(in: beam.state, to: row)
        }
        let offset: Float = biased ? 0 : -logZ

        // Values to rank and the token of each value's index.
        let fromRow: Bool
        scratch.gatherValues.removeAll(keepingCapacity: true)
        scratch.gatherTokens.removeAll(keepingCapacity: true)
        switch allowed {
        case .all:
            fromRow = true
        case .only(let tokens):
            fromRow = false
            for t in tokens where t >= 0 && Int(t) < vocabularySize {
                scratch.gatherTokens.append(t)
                scratch.gatherValues.append(row[Int(t)])
            }
        case .mask(let m):
            fromRow = false
            for (w, word) in m.words.enumerated() where word != 0 {
                var bits = word
                while bits != 0 {
                    let t = w * 64 + bits.trailingZeroBitCount
                    bits &= bits - 1
                    if t < vocabularySize {
                        scratch.gatherTokens.append(TokenID(t))
                        scratch.gatherValues.append(row[t])
                    }
                }
            }
        }
        let available = fromRow ? vocabularySize : scratch.gatherTokens.count
        let forced = available == 1
        let width = options.beamSize
        var k = min(2 * width, available)
        var considered = 0, continuing = 0
        while k > 0 {
            if fromRow {
                scratch.selector.select(k, from: UnsafeBufferPointer(row), into: &scratch.top)
            } else {
                scratch.gatherValues.withUnsafeBufferPointer { scratch.selector.select(k, from: $0, into: &scratch.top) }
            }
            while considered < scratch.top.count && continuing < width {
                let (index, value) = scratch.top[considered]
                considered += 1
                let token = fromRow ? TokenID(index) : scratch.gatherTokens[index]
                var lp = value + offset
                guard lp.isFinite else { continue }
                if forced && options.forcedTokenScoring == .certain { lp = 0 }
                guard let run = forcedRun(after: token, from: beam.state, generated: beam.tokens.count) else { continue }
                candidates.append(Candidate(parent: b, token: token, logProb: beam.logProb + lp, tokenForced: forced,
                                            tail: run.tail, tailStates: run.tailStates, state: run.state, outcome: run.outcome))
                if run.outcome == .continuing { continuing += 1 }
            }
            // Enough continuing candidates, or every finite allowed token looked at.
            if continuing >= width || scratch.top.count < k || k == available { break }
            k = min(k * 4, available)
        }
        statistics.candidatesConsidered += considered
    }

    /// Follows `token` from `state` through the tokens the constraint then forces. Nil when the
    /// path is invalid: the constraint rejects a token, an end token leads to a non-accepting
    /// state, a dead end does not accept, or the budget ends where the constraint does not accept.
    func forcedRun(after token: TokenID, from state: C.State, generated: Int)
        -> (tail: [TokenID], tailStates: [C.State], state: C.State, outcome: Outcome)?
    {
        guard var s = constraint.advance(state, by: token) else { return nil }
        var tail: [TokenID] = [], tailStates: [C.State] = []
        var length = generated + 1
        if options.endTokens.contains(token) {
            return constraint.isAccepting(s) ? (tail, tailStates, s, .finishing(.endToken)) : nil
        }
        while true {
            let allowed = constraint.allowed(in: s)
            if allowed.isEmpty {
                return constraint.isAccepting(s) ? (tail, tailStates, s, .finishing(.constraintComplete)) : nil
            }
            if length >= budget {
                return constraint.isAccepting(s) ? (tail, tailStates, s, .finishing(.lengthLimit)) : nil
            }
            guard let next = soleToken(allowed) else { return (tail, tailStates, s, .continuing) }
            guard let after = constraint.advance(s, by: next) else { return nil }
            tail.append(next)
            tailStates.append(s)
            s = after
            length += 1
            if options.endTokens.contains(next) {
                return constraint.isAccepting(s) ? (tail, tailStates, s, .finishing(.endToken)) : nil
            }
        }
    }

    /// The token when exactly one in-vocabulary token is allowed.
    func soleToken(_ allowed: AllowedTokens) -> TokenID? {
        switch allowed {
        case .all:
            return vocabularySize == 1 ? 0 : nil
        case .only(let tokens):
            return tokens.count == 1 && tokens[0] >= 0 && Int(tokens[0]) < vocabularySize ? tokens[0] : nil
        case .mask(let m):
            guard m.population == 1, let t = m.tokens.first, Int(t) < vocabularySize else { return nil }
            return t
        }
    }

    /// Sets every entry that `allowed` excludes to -inf (the row is scratch; nothing allocated
    /// once the keep buffer is warm).
    func mask(_ row: UnsafeMutableBufferPointer<Float>, to allowed: AllowedTokens, kept keptValues: inout [Float]) {
        switch allowed {
        case .all:
            return
        case .only(let tokens):
            keptValues.removeAll(keepingCapacity: true)
            for t in tokens where t >= 0 && Int(t) < row.count { keptValues.append(row[Int(t)]) }
            row.update(repeating: -.infinity)
            var k = 0
            for t in tokens where t >= 0 && Int(t) < row.count {
                row[Int(t)] = keptValues[k]
                k += 1
            }
        case .mask(let m):
            for i in 0..<row.count where !m.contains(TokenID(i)) { row[i] = -.infinity }
        }
    }

    /// The log-probability of forced token `token` from a row of logits, in state `state`:
    /// model log-softmax, masked and biased like any chosen token.
    func forcedLogProb(_ row: UnsafeMutableBufferPointer<Float>, token: TokenID, state: C.State) -> Float {
        guard constraint.biasesLogits else {
            return row[Int(token)] - LogProbabilities.logSumExp(UnsafeBufferPointer(row))
        }
        LogProbabilities.logSoftmax(row)
        mask(row, to: constraint.allowed(in: state), kept: &workspace.scratch.keptValues)
        constraint.addBias(in: state, to: row)
        return row[Int(token)]
    }
}
