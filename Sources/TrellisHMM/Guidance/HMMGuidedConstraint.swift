import COpenBLAS
import TrellisAutomata
import TrellisCore

/// Ctrl-G / GeLaTo guided decoding as a `LogitConstraint`: the DFA's hard mask (a token is
/// allowed only if acceptance stays reachable within the remaining budget) plus the soft bias
/// `weight · (log Pr_hmm(x, constraint | prefix) − log Pr_hmm(x | prefix))` for every allowed x
/// (Zhang et al. 2024, "Adaptable Logical Control for Large Language Models", eq. for p(x|α)).
///
/// State = (DFA state, tokens used, forward vector): the forward vector is the HMM's
/// distribution of the next token's hidden state given the prefix (H floats), so forking a
/// beam copies H·4 bytes (1 KB at H=256, copy-on-write on the first advance).
/// Per step: one SGEMM of (1 + m) × H by B (H × V) for p and the numerators of the m ≤ 3
/// most frequent targets, plus an H-dot-product per token of any other target; advance costs one
/// H×H GEMV. Acceptance is absorbing as in `GuidanceTable`.
public struct HMMGuidedConstraint: LogitConstraint, Sendable {
    public struct State: Sendable, Equatable {
        public var dfaState: Int32
        public var stepsUsed: Int32
        /// H: Pr(hidden state of the next token | prefix).
        public var forward: [Float]
    }

    public let table: GuidanceTable
    public let weight: Float
    /// The hard mask with the same budget (`table.horizon` tokens).
    public let mask: DFAConstraint
    /// classes: number of tokens in each DFA class.
    let classSize: [Int]

    public init(table: GuidanceTable, weight: Float = 1) {
        self.table = table
        self.weight = weight
        self.mask = DFAConstraint(dfa: table.dfa, maxTokens: table.horizon)
        var sizes = [Int](repeating: 0, count: table.dfa.classCount)
        for c in table.dfa.tokenClass { sizes[Int(c)] += 1 }
        self.classSize = sizes
    }

    public var initialState: State {
        State(dfaState: table.dfa.start, stepsUsed: 0, forward: table.hmm.initial)
    }

    public func allowed(in state: State) -> AllowedTokens {
        mask.allowed(in: DFAConstraint.State(dfaState: state.dfaState, stepsUsed: state.stepsUsed))
    }

    public func isAccepting(_ state: State) -> Bool {
        mask.isAccepting(DFAConstraint.State(dfaState: state.dfaState, stepsUsed: state.stepsUsed))
    }

    public func advance(_ state: State, by token: TokenID) -> State? {
        guard let next = mask.advance(DFAConstraint.State(dfaState: state.dfaState, stepsUsed: state.stepsUsed), by: token)
        else { return nil }
        let h = table.hmm.hiddenStates
        var emitted = [Float](repeating: 0, count: h)
        var forward = [Float](repeating: 0, count: h)
        table.emissionByToken.withUnsafeBufferPointer { bt in
            let b = bt.baseAddress! + Int(token) * h
            for k in 0..<h { emitted[k] = state.forward[k] * b[k] }
        }
        // forward[j] = Σ_k emitted[k] A[k][j]
        table.hmm.transition.withUnsafeBufferPointer { A in
            cblas_sgemv(CblasRowMajor, CblasTrans, Int32(h), Int32(h), 1, A.baseAddress, Int32(h),
                        emitted, 1, 0, &forward, 1)
        }
        var sum: Float = 0
        for k in 0..<h { sum += forward[k] }
        if sum > 0 { for k in 0..<h { forward[k] /= sum } } else { forward = table.hmm.initial }
        return State(dfaState: next.dfaState, stepsUsed: next.stepsUsed, forward: forward)
    }

    /// For every token x: `unconstrained[x]` = Pr_hmm(x | prefix) and `constrained[x]` =
    /// Pr_hmm(x, DFA accepts within the budget | prefix) (0 for tokens the hard mask forbids).
    public func tokenProbabilities(in state: State, unconstrained: UnsafeMutableBufferPointer<Float>,
                                   constrained: UnsafeMutableBufferPointer<Float>) {
        let h = table.hmm.hiddenStates, v = table.hmm.vocabularySize
        let dfa = table.dfa, classes = dfa.classCount, states = dfa.stateCount
        precondition(unconstrained.count >= v && constrained.count >= v)
        let remaining = table.horizon - Int(state.stepsUsed)
        // Target of each class, or -1 when the mask forbids it.
        var targetOfClass = [Int32](repeating: -1, count: classes)
        var tokensPerTarget: [Int32: Int] = [:]
        if state.dfaState >= 0 && remaining >= 1 {
            for c in 0..<classes {
                let n = dfa.transitions[Int(state.dfaState) * classes + c]
                if mask.isViable(n, remainingAfter: remaining - 1) {
                    targetOfClass[c] = n
                    tokensPerTarget[n, default: 0] += classSize[c]
                }
            }
        }
        let targets = tokensPerTarget.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.map(\.key)
        let m = min(3, targets.count)
        // weighted[r] = f ∘ (A β[remaining-1][target r]) for every target.
        var weighted = [Float](repeating: 0, count: max(targets.count, 1) * h)
        var rankOfTarget = [Int32: Int]()
        var g = [Float](repeating: 0, count: h)
        for (r, target) in targets.enumerated() {
            rankOfTarget[target] = r
            if dfa.accepting[Int(target)] {
                for k in 0..<h { g[k] = 1 }
            } else {
                table.beta.withUnsafeBufferPointer { B in
                    table.hmm.transition.withUnsafeBufferPointer { A in
                        cblas_sgemv(CblasRowMajor, CblasNoTrans, Int32(h), Int32(h), 1, A.baseAddress, Int32(h),
                                    B.baseAddress! + ((remaining - 1) * states + Int(target)) * h, 1, 0, &g, 1)
                    }
                }
            }
            for k in 0..<h { weighted[r * h + k] = state.forward[k] * g[k] }
        }
        // rows = [f; weighted[0..<m]] times B (H × V).
        var rows = state.forward
        rows.append(contentsOf: weighted[0..<(m * h)])
        var out = [Float](repeating: 0, count: (m + 1) * v)
        table.hmm.emission.withUnsafeBufferPointer { B in
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(m + 1), Int32(v), Int32(h), 1,
                        rows, Int32(h), B.baseAddress, Int32(v), 0, &out, Int32(v))
        }
        var rankOfClass = [Int](repeating: -1, count: classes)
        for c in 0..<classes where targetOfClass[c] >= 0 { rankOfClass[c] = rankOfTarget[targetOfClass[c]]! }
        table.emissionByToken.withUnsafeBufferPointer { bt in
            weighted.withUnsafeBufferPointer { w in
                for x in 0..<v {
                    unconstrained[x] = out[x]
                    let r = rankOfClass[Int(dfa.tokenClass[x])]
                    if r < 0 {
                        constrained[x] = 0
                    } else if r < m {
                        constrained[x] = out[(r + 1) * v + x]
                    } else {
                        let b = bt.baseAddress! + x * h, row = w.baseAddress! + r * h
                        var s: Float = 0
                        for k in 0..<h { s += row[k] * b[k] }
                        constrained[x] = s
                    }
                }
            }
        }
    }

    /// Adds `weight · (log q(x) − log p(x))` to allowed tokens and −∞ to forbidden ones.
    public func addBias(in state: State, to logProbs: UnsafeMutableBufferPointer<Float>) {
        let v = table.hmm.vocabularySize
        var p = [Float](repeating: 0, count: v), q = [Float](repeating: 0, count: v)
        p.withUnsafeMutableBufferPointer { p in
            q.withUnsafeMutableBufferPointer { q in
                tokenProbabilities(in: state, unconstrained: p, constrained: q)
                for x in 0..<min(v, logProbs.count) {
                    if q[x] > 0 {
                        logProbs[x] += weight * (logf(q[x]) - logf(max(p[x], .leastNormalMagnitude)))
                    } else {
                        // Forbidden by the mask, or the HMM gives the constraint no chance after it.
                        logProbs[x] = -.infinity
                    }
                }
            }
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
