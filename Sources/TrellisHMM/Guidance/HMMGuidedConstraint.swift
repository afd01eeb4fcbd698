import Foundation
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
/// Per step (`addBias`): one H×H GEMV per DFA target reachable from the state, two H-dot
/// products per token that moves the DFA to a non-dominant target (keyword tokens) and per token
/// among the `exactTokens` the model ranks highest, and one class-level ratio per DFA class for
/// every other token (see `addBias`), so about O(targets·H² + (keyword tokens + K)·H + classes·H + V)
/// instead of the O(H·V) of the exact product. `tokenProbabilities` (and `addBias` with
/// `exactTokens >= V`) uses one SGEMM of (1 + m) × H by B for p and the m ≤ 3 most frequent
/// targets. Advance costs one H×H GEMV. Acceptance is absorbing as in `GuidanceTable`.
public struct HMMGuidedConstraint: LogitConstraint, Sendable {
    public struct State: Sendable, Equatable {
        public var dfaState: Int32
        public var stepsUsed: Int32
        /// H: Pr(hidden state of the next token | prefix).
        public var forward: [Float]
    }

    public let table: GuidanceTable
    public let weight: Float
    /// Tokens of the dominant target scored exactly per step: the ones with the highest incoming
    /// log-prob. `Int.max` (or anything ≥ V) makes `addBias` exact for every token.
    public let exactTokens: Int
    /// The smallest DFA classes (keyword and keyword-prefix tokens) are scored exactly, as many
    /// as fit in this many tokens in total; larger classes get the class-level ratio except for
    /// their top `exactTokens` tokens.
    public let exactClassTokens: Int
    /// classes: whether the class is scored exactly (see `exactClassTokens`).
    let exactClass: [Bool]
    /// The hard mask with the same budget (`table.horizon` tokens).
    public let mask: DFAConstraint
    /// classes: number of tokens in each DFA class.
    let classSize: [Int]
    /// Reused per-step buffers (shared by copies; see `GuidanceScratch`).
    let scratch: GuidanceScratch

    public init(table: GuidanceTable, weight: Float = 1, exactTokens: Int = 64, exactClassTokens: Int = 1024) {
        self.table = table
        self.weight = weight
        self.exactTokens = max(0, exactTokens)
        self.exactClassTokens = max(0, exactClassTokens)
        self.mask = DFAConstraint(dfa: table.dfa, maxTokens: table.horizon)
        var sizes = [Int](repeating: 0, count: table.dfa.classCount)
        for c in table.dfa.tokenClass { sizes[Int(c)] += 1 }
        self.classSize = sizes
        var exact = [Bool](repeating: false, count: sizes.count)
        var budget = self.exactClassTokens
        for c in sizes.indices.sorted(by: { sizes[$0] < sizes[$1] }) {
            guard sizes[c] <= budget else { break }
            budget -= sizes[c]
            exact[c] = true
        }
        self.exactClass = exact
        self.scratch = GuidanceScratch(hiddenStates: table.hmm.hiddenStates, vocabularySize: table.hmm.vocabularySize,
                                       classes: table.dfa.classCount, exactTokens: exactTokens)
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
        let v = table.hmm.vocabularySize
        precondition(unconstrained.count >= v && constrained.count >= v)
        withScratch { scratch in
            prepare(state, scratch)
            forEachToken(scratch) { x, p, q in
                unconstrained[x] = p
                constrained[x] = q
            }
        }
    }

    /// Adds `weight · (log q(x) − log p(x))` to allowed tokens and −∞ to forbidden ones,
    /// exactly for every token of the smallest DFA classes (`exactClassTokens`; keyword and
    /// keyword-prefix tokens fall in small classes) and for the `exactTokens` tokens of the large
    /// classes with the highest incoming log-prob. Every other token x of a large class c gets the
    /// class-level ratio log(Σ_h f(h)g(h)S_c(h) / Σ_h f(h)S_c(h)) = log(Σ_{x∈c} q(x) / Σ_{x∈c} p(x)),
    /// S_c = the class's emission mass: like the exact ratio it is an average of
    /// g(h) = Pr(accept | h) over hidden states, so both lie in [min g, max g] ≤ 0, and it only
    /// touches tokens the model already ranks below its top K.
    /// Uses the constraint's scratch buffers (no allocation per call) unless another thread holds
    /// them, in which case it works in fresh ones.
    public func addBias(in state: State, to logProbs: UnsafeMutableBufferPointer<Float>) {
        let n = min(table.hmm.vocabularySize, logProbs.count)
        let weight = self.weight
        if exactTokens >= n {
            withScratch { scratch in
                prepare(state, scratch)
                forEachToken(scratch, limit: n) { x, p, q in
                    logProbs[x] = Self.biased(logProbs[x], p: p, q: q, weight: weight)
                }
            }
            return
        }
        withScratch { scratch in
            let ranked = prepareTargets(state, scratch)
            guard ranked > 0 else {
                for x in 0..<n { logProbs[x] = -.infinity }
                return
            }
            addBiasByClass(scratch, to: logProbs, limit: n)
        }
    }

    /// logProb + weight·(log q − log p), or −∞ when q = 0 (forbidden by the mask, or the HMM
    /// gives the constraint no chance after the token).
    @inline(__always)
    static func biased(_ logProb: Float, p: Float, q: Float, weight: Float) -> Float {
        q > 0 ? logProb + weight * (logf(q) - logf(max(p, .leastNormalMagnitude))) : -.infinity
    }

    public var biasesLogits: Bool { true }

    private func withScratch(_ body: (GuidanceScratch) -> Void) {
        if scratch.lock.try() {
            defer { scratch.lock.unlock() }
            body(scratch)
        } else {
            body(GuidanceScratch(hiddenStates: table.hmm.hiddenStates, vocabularySize: table.hmm.vocabularySize,
                                 classes: table.dfa.classCount, exactTokens: exactTokens))
        }
    }

    /// Fills `scratch.out` = [f; f ∘ (A β[target r]) for the m most frequent targets] × B, the
    /// weighted rows of every target, and the rank of every class's target (-1: forbidden).
    private func prepare(_ state: State, _ scratch: GuidanceScratch) {
        let h = table.hmm.hiddenStates, v = table.hmm.vocabularySize
        let m = min(3, prepareTargets(state, scratch))
        scratch.m = m
        let rows = scratch.rows
        for k in 0..<h { rows[k] = state.forward[k] }
        if m > 0 { (rows + h).update(from: scratch.weighted, count: m * h) }
        table.hmm.emission.withUnsafeBufferPointer { B in
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(m + 1), Int32(v), Int32(h), 1,
                        rows, Int32(h), B.baseAddress, Int32(v), 0, scratch.out, Int32(v))
        }
    }

    /// Ranks the viable DFA targets of `state` by token count (rank 0 = dominant), fills
    /// `scratch.rankOfClass`, the weighted rows f ∘ (A β[target]) per rank, and `scratch.rows`'
    /// first row with f; returns the number of targets.
    @discardableResult
    private func prepareTargets(_ state: State, _ scratch: GuidanceScratch) -> Int {
        let h = table.hmm.hiddenStates
        let dfa = table.dfa, classes = dfa.classCount, states = dfa.stateCount
        let remaining = table.horizon - Int(state.stepsUsed)
        scratch.targets.removeAll(keepingCapacity: true)
        scratch.targetTokens.removeAll(keepingCapacity: true)
        for c in 0..<classes { scratch.rankOfClass[c] = -1 }
        if state.dfaState >= 0 && remaining >= 1 {
            for c in 0..<classes {
                let n = dfa.transitions[Int(state.dfaState) * classes + c]
                guard mask.isViable(n, remainingAfter: remaining - 1) else { continue }
                if let r = scratch.targets.firstIndex(of: n) {
                    scratch.targetTokens[r] += classSize[c]
                    scratch.rankOfClass[c] = r
                } else {
                    scratch.rankOfClass[c] = scratch.targets.count
                    scratch.targets.append(n)
                    scratch.targetTokens.append(classSize[c])
                }
            }
        }
        // Rank targets by token count (ties by state id) so the big ones go through SGEMM.
        let order = scratch.targets.indices.sorted {
            scratch.targetTokens[$0] != scratch.targetTokens[$1] ? scratch.targetTokens[$0] > scratch.targetTokens[$1]
                : scratch.targets[$0] < scratch.targets[$1]
        }
        var newRank = [Int](repeating: 0, count: order.count)
        for (rank, old) in order.enumerated() { newRank[old] = rank }
        for c in 0..<classes where scratch.rankOfClass[c] >= 0 { scratch.rankOfClass[c] = newRank[scratch.rankOfClass[c]] }
        let ranked = order.map { scratch.targets[$0] }
        scratch.reserveTargets(max(ranked.count, 1))
        let weighted = scratch.weighted, g = scratch.g, rows = scratch.rows
        table.beta.withUnsafeBufferPointer { betaBuffer in
            table.hmm.transition.withUnsafeBufferPointer { A in
                for (r, target) in ranked.enumerated() {
                    if dfa.accepting[Int(target)] {
                        for k in 0..<h { g[k] = 1 }
                    } else {
                        cblas_sgemv(CblasRowMajor, CblasNoTrans, Int32(h), Int32(h), 1, A.baseAddress, Int32(h),
                                    betaBuffer.baseAddress! + ((remaining - 1) * states + Int(target)) * h, 1, 0, g, 1)
                    }
                    for k in 0..<h { weighted[r * h + k] = state.forward[k] * g[k] }
                }
            }
        }
        for k in 0..<h { rows[k] = state.forward[k] }
        return ranked.count
    }

    /// Calls `body(x, p(x), q(x))` for x < limit from a prepared scratch.
    private func forEachToken(_ scratch: GuidanceScratch, limit: Int? = nil,
                              _ body: (Int, Float, Float) -> Void) {
        let h = table.hmm.hiddenStates, v = table.hmm.vocabularySize
        let n = min(limit ?? v, v), m = scratch.m
        let out = scratch.out, weighted = scratch.weighted
        table.emissionByToken.withUnsafeBufferPointer { bt in
            table.dfa.tokenClass.withUnsafeBufferPointer { tokenClass in
                let rankOfClass = scratch.rankOfClass
                for x in 0..<n {
                    let r = rankOfClass[Int(tokenClass[x])]
                    let q: Float
                    if r < 0 {
                        q = 0
                    } else if r < m {
                        q = out[(r + 1) * v + x]
                    } else {
                        q = cblas_sdot(Int32(h), weighted + r * h, 1, bt.baseAddress! + x * h, 1)
                    }
                    body(x, out[x], q)
                }
            }
        }
    }
}

/// Per-constraint work buffers of `HMMGuidedConstraint` (about 4·V + (targets + 2)·H + 2·classes
/// + 2·K floats),
/// reused across steps; guarded by `lock` because copies of a constraint share them.
final class GuidanceScratch: @unchecked Sendable {
    let lock = NSLock()
    let h: Int
    let out: UnsafeMutablePointer<Float>      // 4 × V
    let rows: UnsafeMutablePointer<Float>     // 4 × H
    let g: UnsafeMutablePointer<Float>        // H
    private(set) var weighted: UnsafeMutablePointer<Float>  // targetCapacity × H
    private var targetCapacity: Int
    var rankOfClass: UnsafeMutablePointer<Int>  // classes
    let classBias: UnsafeMutablePointer<Float>  // classes: class-level bias of the dominant target
    let heapCapacity: Int
    let heapValues: UnsafeMutablePointer<Float>  // heapCapacity: top dominant-target log-probs
    let heapTokens: UnsafeMutablePointer<Int32>
    var targets: [Int32] = []
    var targetTokens: [Int] = []
    var m = 0

    init(hiddenStates h: Int, vocabularySize v: Int, classes: Int, exactTokens: Int) {
        self.h = h
        out = .allocate(capacity: 4 * v)
        rows = .allocate(capacity: 4 * h)
        g = .allocate(capacity: h)
        targetCapacity = 4
        weighted = .allocate(capacity: targetCapacity * h)
        rankOfClass = .allocate(capacity: max(classes, 1))
        rankOfClass.initialize(repeating: -1, count: max(classes, 1))
        classBias = .allocate(capacity: max(classes, 1))
        heapCapacity = max(1, min(exactTokens, v))
        heapValues = .allocate(capacity: heapCapacity)
        heapTokens = .allocate(capacity: heapCapacity)
        targets.reserveCapacity(classes)
        targetTokens.reserveCapacity(classes)
    }

    func reserveTargets(_ count: Int) {
        guard count > targetCapacity else { return }
        weighted.deallocate()
        targetCapacity = count
        weighted = .allocate(capacity: count * h)
    }

    deinit {
        out.deallocate()
        rows.deallocate()
        g.deallocate()
        weighted.deallocate()
        rankOfClass.deallocate()
        classBias.deallocate()
        heapValues.deallocate()
        heapTokens.deallocate()
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
