import COpenBLAS
import TrellisAutomata
import TrellisCore

/// The per-request lookahead table of Ctrl-G (Zhang et al. 2024) for one HMM, one token DFA
/// and a budget of `horizon` tokens:
/// β[t][s][h] = Pr(the DFA reaches an accepting state within the next t tokens | DFA state s,
/// hidden state h of the next token), with acceptance absorbing (β = 1 in accepting states).
///
/// Recurrence: β[0][s] = 1[s accepting]; for t ≥ 1 and s not accepting,
/// β[t][s][h] = Σ_{edges s→s'} w_{s→s'}[h] · (A β[t-1][s'])[h], where the edge vector
/// w_{s→s'}[h] = Σ_{x: δ(s,x)=s'} B[h][x] sums the emission of every token taking s to s'.
/// Edge vectors come from per-class sums (tokens of a DFA class always share their target), so
/// building costs O(V·H + states·classes·H) once, then O(horizon·(states·H² + edges·H)) with the
/// A products as one SGEMM per t. Memory: (horizon+1)·states·H floats for β plus edges·H.
public final class GuidanceTable: @unchecked Sendable {
    public let hmm: HiddenMarkovModel
    public let dfa: TokenDFA
    public let horizon: Int
    /// (horizon+1) × states × H, row-major.
    public let beta: [Float]
    /// V × H token-major copy of B (rows gathered per token).
    public let emissionByToken: [Float]
    /// states: fewest tokens to acceptance.
    public let distance: [Int32]
    /// classes × H: Σ over the tokens of each DFA class of B[h][x] (the class's emission mass).
    public let classEmission: [Float]

    /// `emissionByToken`, when given, is `GuidanceTable.transposedEmission(of: hmm)` computed
    /// earlier (callers reuse it across requests: it is the O(V·H) part of building a table).
    public init(hmm: HiddenMarkovModel, dfa: TokenDFA, horizon: Int, emissionByToken: [Float]? = nil) throws {
        guard hmm.vocabularySize == dfa.vocabularySize else {
            throw HMMError.vocabularyMismatch(hmm: hmm.vocabularySize, dfa: dfa.vocabularySize)
        }
        let h = hmm.hiddenStates, v = hmm.vocabularySize, states = dfa.stateCount, classes = dfa.classCount
        self.hmm = hmm
        self.dfa = dfa
        self.horizon = horizon
        self.distance = dfa.distanceToAcceptance()
        let bt: [Float]
        if let given = emissionByToken {
            guard given.count == v * h else { throw HMMError.shapeMismatch(what: "emissionByToken", expected: v * h, got: given.count) }
            bt = given
        } else {
            bt = Self.transposedEmission(of: hmm)
        }
        self.emissionByToken = bt
        // Class sums: classSum[c*H + k] = Σ_{x in c} B[k][x].
        var classSum = [Float](repeating: 0, count: classes * h)
        for x in 0..<v {
            let c = Int(dfa.tokenClass[x])
            for k in 0..<h { classSum[c * h + k] += bt[x * h + k] }
        }
        classEmission = classSum
        // Edges per state (CSR): target and summed vector.
        var edgeOffsets = [0]
        var edgeTargets: [Int32] = []
        var edgeWeights: [Float] = []
        var slot = [Int](repeating: -1, count: states)
        for s in 0..<states {
            let firstEdge = edgeTargets.count
            if !dfa.accepting[s] {
                for c in 0..<classes {
                    let n = dfa.transitions[s * classes + c]
                    guard n >= 0 else { continue }
                    if slot[Int(n)] < firstEdge {
                        slot[Int(n)] = edgeTargets.count
                        edgeTargets.append(n)
                        edgeWeights.append(contentsOf: repeatElement(0, count: h))
                    }
                    let e = slot[Int(n)]
                    for k in 0..<h { edgeWeights[e * h + k] += classSum[c * h + k] }
                }
            }
            edgeOffsets.append(edgeTargets.count)
        }
        // β by the recurrence.
        var beta = [Float](repeating: 0, count: (horizon + 1) * states * h)
        var after = [Float](repeating: 0, count: states * h)  // (A β[t-1]) per state
        for s in 0..<states where dfa.accepting[s] {
            for k in 0..<h { beta[s * h + k] = 1 }
        }
        if states > 0 {
            for t in 1...max(horizon, 1) where t <= horizon {
                beta.withUnsafeMutableBufferPointer { B in
                    hmm.transition.withUnsafeBufferPointer { A in
                        // after[s][k] = Σ_j A[k][j] β[t-1][s][j]  =  (β[t-1] Aᵀ)[s][k]
                        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(states), Int32(h), Int32(h), 1,
                                    B.baseAddress! + (t - 1) * states * h, Int32(h), A.baseAddress, Int32(h),
                                    0, &after, Int32(h))
                    }
                    let row = B.baseAddress! + t * states * h
                    for s in 0..<states {
                        let out = row + s * h
                        if dfa.accepting[s] {
                            for k in 0..<h { out[k] = 1 }
                            continue
                        }
                        for e in edgeOffsets[s]..<edgeOffsets[s + 1] {
                            let target = Int(edgeTargets[e]) * h
                            for k in 0..<h { out[k] += edgeWeights[e * h + k] * after[target + k] }
                        }
                    }
                }
            }
        }
        self.beta = beta
    }

    /// B as V × H (token-major), the layout of `emissionByToken`.
    public static func transposedEmission(of hmm: HiddenMarkovModel) -> [Float] {
        let h = hmm.hiddenStates, v = hmm.vocabularySize
        var bt = [Float](repeating: 0, count: v * h)
        bt.withUnsafeMutableBufferPointer { out in
            hmm.emission.withUnsafeBufferPointer { b in
                // Blocks of 64 tokens keep both sides in cache.
                for x0 in stride(from: 0, to: v, by: 64) {
                    let x1 = min(x0 + 64, v)
                    for k in 0..<h { for x in x0..<x1 { out[x * h + k] = b[k * v + x] } }
                }
            }
        }
        return bt
    }

    /// Bytes held (β, Bᵀ copy, distances).
    public var sizeInBytes: Int { (beta.count + emissionByToken.count + distance.count + classEmission.count) * 4 }

    /// β[t][s] as an array of H (tests and tools).
    public func betaVector(remaining t: Int, state s: Int) -> [Float] {
        let h = hmm.hiddenStates
        let base = (t * dfa.stateCount + s) * h
        return Array(beta[base..<(base + h)])
    }
}
