import TrellisCore

extension BeamSearchRun {
    /// A selected candidate that needs the model: a continuing one (its next row), or a finishing
    /// one whose forced run is scored by the model.
    struct Work {
        var candidate: Candidate
        var sequence: SequenceID
        /// Tokens to append: the choice and its run (a finishing one's last token is never
        /// appended: only the row before it is needed).
        var append: [TokenID]
        var tailLogProb: Float = 0
        var row = -1
        var continuing: Bool { candidate.outcome == .continuing }
    }

    /// Turns the selected candidates into the next live hypotheses and new results: assigns
    /// sequences (first child reuses its parent's, others fork, childless parents are released),
    /// appends every choice with its forced run, scores the runs, and swaps in the new rows.
    func advance(live: [Candidate], done: [Candidate]) throws {
        let scoresRuns = options.forcedTokenScoring == .modelLogProbability
        var work: [Work] = []
        var results: [(candidate: Candidate, tailLogProb: Float)] = []
        // Forks happen before any append, while every parent still holds its own history.
        var taken = [Bool](repeating: false, count: beams.count)
        for candidate in live + done {
            let continuing = candidate.outcome == .continuing
            guard continuing || (scoresRuns && !candidate.tail.isEmpty) else {
                results.append((candidate, 0))
                continue
            }
            let parent = beams[candidate.parent]
            let sequence: SequenceID
            if taken[candidate.parent] {
                sequence = try model.fork(parent.sequence)
                held.insert(sequence)
                statistics.forks += 1
            } else {
                taken[candidate.parent] = true
                sequence = parent.sequence
            }
            var append = [candidate.token] + candidate.tail
            if !continuing { append.removeLast() }
            work.append(Work(candidate: candidate, sequence: sequence, append: append))
        }
        for (p, beam) in beams.enumerated() where !taken[p] { release(beam.sequence) }
        for candidate in live + done {
            statistics.forcedTokens += candidate.tail.count + (candidate.tokenForced ? 1 : 0)
        }

        if !work.isEmpty {
            let needsEveryRow = scoresRuns && work.contains { !$0.candidate.tail.isEmpty }
            if options.jumpForward, !needsEveryRow || model is any AllPositionLogitsModel {
                try appendInOnePass(&work, scoringRuns: needsEveryRow)
            } else {
                try appendTokenByToken(&work, scoringRuns: needsEveryRow)
            }
        }

        let old = beams
        beams.removeAll(keepingCapacity: true)
        for w in work {
            let c = w.candidate
            let logProb = c.logProb + w.tailLogProb
            guard logProb.isFinite else {
                // The model gave a forced token probability 0: no valid output along this path.
                release(w.sequence)
                continue
            }
            if w.continuing {
                let parent = old[c.parent]
                beams.append(Beam(sequence: w.sequence, tokens: parent.tokens + [c.token] + c.tail, logProb: logProb,
                                  state: c.state, row: w.row,
                                  forced: parent.forced + c.tail.count + (c.tokenForced ? 1 : 0)))
            } else {
                release(w.sequence)
                results.append((c, w.tailLogProb))
            }
        }
        for (c, tailLogProb) in results {
            let parent = old[c.parent]
            let tokens = parent.tokens + [c.token] + c.tail
            let logProb = c.logProb + tailLogProb
            guard logProb.isFinite, case .finishing(let reason) = c.outcome else { continue }
            finished.append(BeamHypothesis(tokens: tokens, logProb: logProb,
                                           score: options.normalizedScore(logProb: logProb, length: tokens.count),
                                           state: c.state, finishReason: reason,
                                           forcedTokenCount: parent.forced + c.tail.count + (c.tokenForced ? 1 : 0)))
        }
    }

    /// Jump-forward: every choice and its forced run in one batched pass. With `scoringRuns`,
    /// the model returns a row per appended token, and row j of a request scores its run's
    /// token j; the last row of a continuing request is its next-token row.
    private func appendInOnePass(_ work: inout [Work], scoringRuns: Bool) throws {
        let requests = work.map { SequenceExtension(sequence: $0.sequence, tokens: $0.append) }
        if scoringRuns, let allRows = model as? any AllPositionLogitsModel {
            try callModel { try allRows.extendReturningAllLogits(requests, logits: workspace.output) }
            var offset = 0
            for i in work.indices {
                let c = work[i].candidate
                for j in c.tail.indices {
                    work[i].tailLogProb += forcedLogProb(workspace.output.row(offset + j), token: c.tail[j], state: c.tailStates[j])
                }
                offset += work[i].append.count
                if work[i].continuing { work[i].row = offset - 1 }
            }
        } else {
            try callModel { try model.extend(requests, logits: workspace.output) }
            for i in work.indices where work[i].continuing { work[i].row = i }
        }
        statistics.appendedTokens += work.reduce(0) { $0 + $1.append.count }
        swap(&workspace.current, &workspace.output)
    }

    /// The plain twin: pass r appends token r of every request that has one (still batched
    /// across hypotheses); its rows score run token r and, after a continuing request's last
    /// token, are copied out as that hypothesis's next row.
    private func appendTokenByToken(_ work: inout [Work], scoringRuns: Bool) throws {
        let rounds = work.map(\.append.count).max() ?? 0
        workspace.gathered.resize(rows: work.filter(\.continuing).count)
        var slot = 0
        for i in work.indices where work[i].continuing {
            work[i].row = slot
            slot += 1
        }
        for r in 0..<rounds {
            let active = work.indices.filter { work[$0].append.count > r }
            let requests = active.map { SequenceExtension(sequence: work[$0].sequence, tokens: [work[$0].append[r]]) }
            try callModel { try model.extend(requests, logits: workspace.output) }
            statistics.appendedTokens += requests.count
            for (k, i) in active.enumerated() {
                let c = work[i].candidate
                if work[i].continuing && r == work[i].append.count - 1 {
                    _ = workspace.gathered.row(work[i].row).update(fromContentsOf: workspace.output.row(k))
                }
                if scoringRuns && r < c.tail.count {
                    work[i].tailLogProb += forcedLogProb(workspace.output.row(k), token: c.tail[r], state: c.tailStates[r])
                }
            }
        }
        swap(&workspace.current, &workspace.gathered)
    }
}
