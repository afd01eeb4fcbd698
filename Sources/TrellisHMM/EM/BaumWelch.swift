import COpenBLAS
import TrellisCore

/// One EM iteration's report.
public struct EMProgress: Sendable {
    public let iteration: Int
    /// Σ log Pr(sequence) under the model *before* this iteration's M-step.
    public let logLikelihood: Double
    public let tokens: Int
    public let seconds: Double
    public var logLikelihoodPerToken: Double { logLikelihood / Double(max(tokens, 1)) }
}

/// Baum-Welch (EM) training of a `HiddenMarkovModel` on equal-length token sequences
/// (Baum et al. 1970; Rabiner 1989, scaled forward-backward).
///
/// Sequences are processed in batches of `batchSize`: the forward and backward recursions of a
/// whole batch step together, so the H×H work of each position is one SGEMM over the batch
/// (forward α_t = (α_{t-1} A) ∘ b(x_t), backward β_{t-1} = (b(x_t) ∘ β_t / c_t) Aᵀ, and the
/// expected transition counts Σ α_{t-1}ᵀ (b(x_t) ∘ β_t / c_t), multiplied by A at the end).
/// Emissions gather only the needed rows of a token-major copy of B (V × H), never a dense
/// H×V product per position. Cost per iteration: about 6·N·T·H² flops in SGEMM plus O(N·T·H)
/// elementwise; memory: batch × T × H floats of α plus 2 × V × H floats (Bᵀ, counts).
/// The M-step adds pseudocounts (a Dirichlet prior), so EM maximizes the posterior.
/// `blasThreads` sets OpenBLAS's thread count for the duration of `train` (restored after): on a
/// machine shared with other jobs, OpenBLAS's spinning worker threads made an iteration about
/// 4× slower than one thread (BENCHMARKS.md).
public final class BaumWelchTrainer {
    public var batchSize: Int
    /// OpenBLAS threads while training; nil leaves OpenBLAS's setting alone.
    public var blasThreads: Int?
    /// Added to every expected initial/transition count before normalizing.
    public var transitionPseudocount: Float
    /// Added to every expected emission count before normalizing.
    public var emissionPseudocount: Float

    public init(batchSize: Int = 512, transitionPseudocount: Float = 1e-2, emissionPseudocount: Float = 1e-4,
                blasThreads: Int? = nil) {
        self.batchSize = batchSize
        self.blasThreads = blasThreads
        self.transitionPseudocount = transitionPseudocount
        self.emissionPseudocount = emissionPseudocount
    }

    /// Runs `iterations` EM iterations from `model` on `sequences` (each of the same length) and
    /// returns the trained model. `progress` is called after every iteration; return false to stop
    /// early (the model of the last completed iteration is returned, so a caller can checkpoint).
    public func train(_ model: HiddenMarkovModel, sequences: [[TokenID]], iterations: Int,
                      progress: (EMProgress, HiddenMarkovModel) -> Bool = { _, _ in true }) throws -> HiddenMarkovModel {
        guard let length = sequences.first?.count, length > 0 else { throw HMMError.emptyTrainingSet }
        var flat: [Int32] = []
        flat.reserveCapacity(sequences.count * length)
        for (i, s) in sequences.enumerated() {
            guard s.count == length else { throw HMMError.raggedSequences(expectedLength: length, sequence: i, got: s.count) }
            for x in s where x < 0 || Int(x) >= model.vocabularySize {
                throw HMMError.tokenOutsideVocabulary(token: x, vocabularySize: model.vocabularySize, sequence: i)
            }
            flat.append(contentsOf: s)
        }
        if let blasThreads, blasThreads > 0 {
            let previous = openblas_get_num_threads()
            openblas_set_num_threads(Int32(blasThreads))
            defer { openblas_set_num_threads(previous) }
            return try iterate(model, tokens: flat, length: length, iterations: iterations, progress: progress)
        }
        return try iterate(model, tokens: flat, length: length, iterations: iterations, progress: progress)
    }

    private func iterate(_ model: HiddenMarkovModel, tokens flat: [Int32], length: Int, iterations: Int,
                         progress: (EMProgress, HiddenMarkovModel) -> Bool) throws -> HiddenMarkovModel {
        var current = model
        for iteration in 1...max(iterations, 1) {
            let start = monotonicSeconds()
            let (next, ll) = step(current, tokens: flat, length: length)
            let report = EMProgress(iteration: iteration, logLikelihood: ll, tokens: flat.count,
                                    seconds: monotonicSeconds() - start)
            current = next
            if !progress(report, current) { break }
        }
        return current
    }

    /// One E-step + M-step over all sequences (`tokens`: N × length, row-major). Returns the new
    /// model and the log-likelihood under the old one.
    public func step(_ model: HiddenMarkovModel, tokens: [Int32], length: Int) -> (HiddenMarkovModel, Double) {
        let h = model.hiddenStates, v = model.vocabularySize
        let sequenceCount = tokens.count / length
        let batch = max(1, min(batchSize, sequenceCount))
        // Token-major emission copy: emissionByToken[x*H + h] = B[h][x].
        var emissionByToken = [Float](repeating: 0, count: v * h)
        for i in 0..<h { for x in 0..<v { emissionByToken[x * h + i] = model.emission[i * v + x] } }

        var initialCounts = [Double](repeating: 0, count: h)
        var transitionCounts = [Float](repeating: 0, count: h * h)   // Σ αᵀ u, before ∘ A
        var emissionCounts = [Float](repeating: 0, count: v * h)     // token-major
        var alpha = [Float](repeating: 0, count: length * batch * h) // [t][i][h]
        var scale = [Float](repeating: 0, count: length * batch)     // [t][i]
        var beta = [Float](repeating: 0, count: batch * h)
        var u = [Float](repeating: 0, count: batch * h)
        var logLikelihood: Double = 0

        model.transition.withUnsafeBufferPointer { A in
        emissionByToken.withUnsafeBufferPointer { Bt in
        tokens.withUnsafeBufferPointer { X in
        alpha.withUnsafeMutableBufferPointer { alpha in
        scale.withUnsafeMutableBufferPointer { scale in
        beta.withUnsafeMutableBufferPointer { beta in
        u.withUnsafeMutableBufferPointer { u in
        transitionCounts.withUnsafeMutableBufferPointer { xi in
        emissionCounts.withUnsafeMutableBufferPointer { E in
            var first = 0
            while first < sequenceCount {
                let n = min(batch, sequenceCount - first)
                @inline(__always) func token(_ i: Int, _ t: Int) -> Int { Int(X[(first + i) * length + t]) }
                // Forward.
                for t in 0..<length {
                    let a = alpha.baseAddress! + t * batch * h
                    if t == 0 {
                        for i in 0..<n { for k in 0..<h { a[i * h + k] = model.initial[k] } }
                    } else {
                        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(n), Int32(h), Int32(h), 1,
                                    a - batch * h, Int32(h), A.baseAddress, Int32(h), 0, a, Int32(h))
                    }
                    for i in 0..<n {
                        let row = a + i * h, b = Bt.baseAddress! + token(i, t) * h
                        var c: Float = 0
                        for k in 0..<h { row[k] *= b[k]; c += row[k] }
                        if !(c > 0) { c = .leastNormalMagnitude }  // impossible token: keep finite
                        let inv = 1 / c
                        for k in 0..<h { row[k] *= inv }
                        scale[t * batch + i] = c
                        logLikelihood += Double(logf(c))
                    }
                }
                // Backward, accumulating counts.
                for i in 0..<(n * h) { beta[i] = 1 }
                for t in stride(from: length - 1, through: 0, by: -1) {
                    let a = alpha.baseAddress! + t * batch * h
                    for i in 0..<n {
                        let e = E.baseAddress! + token(i, t) * h
                        for k in 0..<h { e[k] += a[i * h + k] * beta[i * h + k] }
                        if t == 0 { for k in 0..<h { initialCounts[k] += Double(a[i * h + k] * beta[i * h + k]) } }
                    }
                    if t == 0 { break }
                    for i in 0..<n {
                        let b = Bt.baseAddress! + token(i, t) * h
                        let inv = 1 / scale[t * batch + i]
                        for k in 0..<h { u[i * h + k] = b[k] * beta[i * h + k] * inv }
                    }
                    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Int32(h), Int32(h), Int32(n), 1,
                                a - batch * h, Int32(h), u.baseAddress, Int32(h), 1, xi.baseAddress, Int32(h))
                    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(n), Int32(h), Int32(h), 1,
                                u.baseAddress, Int32(h), A.baseAddress, Int32(h), 0, beta.baseAddress, Int32(h))
                }
                first += n
            }
        }}}}}}}}}

        // M-step.
        var next = model
        let pc = transitionPseudocount, epc = emissionPseudocount
        let initialSum = initialCounts.reduce(0, +) + Double(pc) * Double(h)
        for k in 0..<h { next.initial[k] = Float((initialCounts[k] + Double(pc)) / initialSum) }
        for i in 0..<h {
            var sum: Double = 0
            for j in 0..<h {
                let c = transitionCounts[i * h + j] * model.transition[i * h + j] + pc
                next.transition[i * h + j] = c
                sum += Double(c)
            }
            for j in 0..<h { next.transition[i * h + j] = Float(Double(next.transition[i * h + j]) / sum) }
        }
        var rowSums = [Double](repeating: 0, count: h)
        for x in 0..<v { for k in 0..<h { rowSums[k] += Double(emissionCounts[x * h + k] + epc) } }
        for k in 0..<h {
            let inv = Float(1 / rowSums[k])
            for x in 0..<v { next.emission[k * v + x] = (emissionCounts[x * h + k] + epc) * inv }
        }
        return (next, logLikelihood)
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

func monotonicSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
}
