import TrellisCore
import TrellisDecoding
import TrellisFMIndex

/// Constrained beam search over corpus n-grams that keeps every n-gram it visits (SEAL,
/// Bevilacqua et al. 2022, §3.1): each step extends the live beams by tokens the FM-index allows
/// after them (so every n-gram occurs in some passage), keeps the best `beamSize` by
/// log P(n|q), and records each kept beam — partial hypotheses included — as an n-gram with its
/// conditional log-probability and corpus count. Steps: at most `maxLength`; per step one
/// batched `extend` of ≤ `beamSize` rows plus O(k log σ) continuation enumeration per beam for
/// k distinct next tokens (all corpus tokens at the root). Returns ≤ beamSize·maxLength n-grams.
/// (Unlike `BeamSearch`, which returns finished hypotheses only, SEAL wants all of them.)
public struct SEALNgramGenerator {
    public let index: FMIndex
    public var beamSize: Int
    public var maxLength: Int

    public init(index: FMIndex, beamSize: Int = 15, maxLength: Int = 10) {
        self.index = index
        self.beamSize = beamSize
        self.maxLength = maxLength
    }

    struct Beam {
        var sequence: SequenceID
        var tokens: [TokenID]
        var logProb: Double
        var cursor: FMIndexCursor
    }

    /// N-grams visited after `prompt`, in generation order; no duplicates.
    public func generate(model: any NextTokenModel, prompt: [TokenID]) throws -> [SEALNgram] {
        guard !prompt.isEmpty else { throw TrellisError.invalidArgument("SEAL needs at least one prompt token") }
        guard beamSize >= 1, maxLength >= 1 else { throw SearchError.invalidOption("beam size and n-gram length must be at least 1") }
        let logits = LogitMatrix(rows: 1, width: model.vocabularySize)
        let first = try model.makeSequence()
        var live: Set<SequenceID> = [first]
        defer { for s in live { model.release(s) } }
        try model.extend([SequenceExtension(sequence: first, tokens: prompt)], logits: logits)
        var beams = [Beam(sequence: first, tokens: [], logProb: 0, cursor: index.rootCursor)]
        var out: [SEALNgram] = []
        var candidates: [(parent: Int, token: TokenID, logProb: Double)] = []

        for step in 0..<maxLength {
            candidates.removeAll(keepingCapacity: true)
            for (b, beam) in beams.enumerated() {
                let row = logits.row(b)
                let logZ = Double(LogProbabilities.logSumExp(UnsafeBufferPointer(row)))
                var local: [(parent: Int, token: TokenID, logProb: Double)] = []
                index.forEachContinuation(beam.cursor) { token, _ in
                    guard Int(token) < row.count else { return }
                    let lp = Double(row[Int(token)]) - logZ
                    if lp.isFinite { local.append((b, token, beam.logProb + lp)) }
                }
                // A beam never needs more than beamSize children.
                if local.count > beamSize {
                    local.sort { $0.logProb > $1.logProb }
                    local.removeSubrange(beamSize...)
                }
                candidates.append(contentsOf: local)
            }
            candidates.sort { $0.logProb > $1.logProb }
            var next: [Beam] = []
            var parentOf: [Int] = []
            for c in candidates {
                if next.count == beamSize { break }
                guard let cursor = index.extend(beams[c.parent].cursor, with: c.token) else { continue }
                let tokens = beams[c.parent].tokens + [c.token]
                out.append(SEALNgram(tokens: tokens, logProb: c.logProb, count: cursor.rowCount, weight: 0))
                next.append(Beam(sequence: beams[c.parent].sequence, tokens: tokens, logProb: c.logProb, cursor: cursor))
                parentOf.append(c.parent)
            }
            if next.isEmpty || step == maxLength - 1 { break }
            // Drop n-grams that cannot grow (they end every passage they occur in).
            var used = [Bool](repeating: false, count: beams.count)
            var requests: [SequenceExtension] = []
            var kept: [Beam] = []
            for i in next.indices {
                var any = false
                index.forEachContinuation(next[i].cursor) { _, _ in any = true }
                guard any else { continue }
                let p = parentOf[i]
                var beam = next[i]
                if used[p] {
                    beam.sequence = try model.fork(beams[p].sequence)
                    live.insert(beam.sequence)
                } else {
                    used[p] = true
                }
                requests.append(SequenceExtension(sequence: beam.sequence, tokens: [beam.tokens.last!]))
                kept.append(beam)
            }
            for (p, beam) in beams.enumerated() where !used[p] {
                model.release(beam.sequence)
                live.remove(beam.sequence)
            }
            if kept.isEmpty { break }
            if requests.contains(where: { model.length(of: $0.sequence) + 1 > model.contextLength }) { break }
            logits.resize(rows: requests.count)
            try model.extend(requests, logits: logits)
            beams = kept
        }
        return out
    }
}
