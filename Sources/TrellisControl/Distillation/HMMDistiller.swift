import Foundation
import TrellisCore
import TrellisHMM
import TrellisStore

/// What a distillation run did, reported as it goes.
public enum DistillationEvent: Sendable {
    /// Sampling progress (sequences done, total).
    case sampling(done: Int, total: Int)
    /// Training data found in the store (a resumed run).
    case reusedSamples(sequences: Int, length: Int)
    /// Resuming after this stored EM iteration.
    case resumed(afterIteration: Int)
    /// One EM iteration finished and was checkpointed; `logLikelihood` is Σ log Pr(sequence)
    /// under the parameters before the iteration, over `tokens` tokens.
    case iteration(number: Int, logLikelihood: Double, tokens: Int, seconds: Double)
}

/// Result of `HMMDistiller.distill`.
public struct DistillationReport: Sendable {
    public var record: HMMModelRecord
    public var hmm: HiddenMarkovModel
    /// Last completed EM iteration (stored as a checkpoint).
    public var iterations: Int
    public var samplingSeconds: Double
    public var trainingSeconds: Double
}

/// Distills a language model into an HMM kept in a `TrellisStore` (GeLaTo / Ctrl-G:
/// sample sequences from the LM, fit an HMM by Baum-Welch EM).
///
/// The run is resumable at every step: the sampled sequences are saved first (one tensor of
/// N × T token ids), then the parameters after every EM iteration together with a checkpoint
/// row (one transaction each). Calling `distill` again with the same name loads the samples and
/// the latest parameters and runs the remaining iterations up to `iterations` in total, so an
/// interrupted run loses at most one iteration. The HMM is bound to the tokenizer and model
/// fingerprints given at creation; resuming with others is an error.
/// Cost: sampling N·T model tokens in batches, then about 6·N·T·H² flops per EM iteration.
public final class HMMDistiller {
    public let store: TrellisStore
    public let trainer: BaumWelchTrainer

    public init(store: TrellisStore, trainer: BaumWelchTrainer = BaumWelchTrainer()) {
        self.store = store
        self.trainer = trainer
    }

    /// Creates (or resumes) the HMM `name`. `sampleSequences` is called only when no samples are
    /// stored yet and returns N × `length` token ids, row-major. `onEvent` returns false to stop
    /// after the current step (the stored state stays resumable).
    public func distill(name: String, tokenizerFingerprint: String, modelFingerprint: String,
                        hiddenStates: Int, vocabularySize: Int, length: Int, iterations: Int, seed: UInt64,
                        sampleSequences: () throws -> [TokenID],
                        onEvent: (DistillationEvent) -> Bool = { _ in true }) throws -> DistillationReport {
        guard hiddenStates > 0, vocabularySize > 0, length > 0, iterations >= 0 else {
            throw ControlError.invalidArgument("distillation needs positive hidden states, vocabulary and length, and iterations ≥ 0")
        }
        let record: HMMModelRecord
        if let existing = try store.hmmModel(named: name) {
            try StoredHMM.check(existing, tokenizerFingerprint: tokenizerFingerprint, modelFingerprint: modelFingerprint)
            guard existing.hiddenStates == hiddenStates, existing.vocabularySize == vocabularySize else {
                throw ControlError.hmmMismatch(name: name, field: "shape (H × V)",
                                               stored: "\(existing.hiddenStates) × \(existing.vocabularySize)",
                                               given: "\(hiddenStates) × \(vocabularySize)")
            }
            record = existing
        } else {
            record = try store.createHMMModel(name: name, tokenizerFingerprint: tokenizerFingerprint,
                                              modelFingerprint: modelFingerprint, hiddenStates: hiddenStates,
                                              vocabularySize: vocabularySize)
        }

        // 1. Training sequences: stored, or sampled now and stored before any EM.
        var samplingSeconds = 0.0
        let tokens: [TokenID]
        let hasSamples = try store.hmmTensorShapes(model: record.id).contains { $0.kind == StoredHMM.trainingTokensKind }
        if hasSamples {
            let t = try store.loadHMMTensor(kind: StoredHMM.trainingTokensKind, model: record.id)
            guard t.columns == length, t.rows > 0 else {
                throw ControlError.corruptHMM(name: name, reason: "stored samples are \(t.rows) × \(t.columns), this run asks for length \(length)")
            }
            tokens = t.values.map { TokenID($0) }
            _ = onEvent(.reusedSamples(sequences: t.rows, length: t.columns))
        } else {
            let start = Date()
            tokens = try sampleSequences()
            samplingSeconds = Date().timeIntervalSince(start)
            guard !tokens.isEmpty, tokens.count % length == 0 else {
                throw ControlError.invalidArgument("sampler returned \(tokens.count) tokens, not a multiple of length \(length)")
            }
            try store.saveHMMTensors([HMMTensor(kind: StoredHMM.trainingTokensKind, rows: tokens.count / length,
                                                columns: length, values: tokens.map { Float($0) })], model: record.id)
        }
        let sequences = stride(from: 0, to: tokens.count, by: length).map { Array(tokens[$0..<($0 + length)]) }

        // 2. Start point: the latest stored parameters, else a seeded random model.
        var hmm: HiddenMarkovModel
        var done = 0
        if let stored = try StoredHMM.loadParameters(from: store, record: record) {
            hmm = stored
            done = try store.latestHMMCheckpoint(model: record.id)?.iteration ?? 0
            if done > 0 { _ = onEvent(.resumed(afterIteration: done)) }
        } else {
            var rng = SplitMix64(seed: seed)
            hmm = HiddenMarkovModel(randomWithHiddenStates: hiddenStates, vocabularySize: vocabularySize, using: &rng)
            try store.saveHMMTensors(StoredHMM.tensors(of: hmm), model: record.id)
        }

        // 3. EM, one checkpoint per iteration.
        let trainingStart = Date()
        if done < iterations {
            var saveError: Error?
            let offset = done
            hmm = try trainer.train(hmm, sequences: sequences, iterations: iterations - done) { report, model in
                let iteration = offset + report.iteration
                do {
                    try store.saveHMMTensors(StoredHMM.tensors(of: model), model: record.id,
                                             checkpoint: (iteration, report.logLikelihood))
                } catch {
                    saveError = error
                    return false
                }
                done = iteration
                return onEvent(.iteration(number: iteration, logLikelihood: report.logLikelihood,
                                          tokens: report.tokens, seconds: report.seconds))
            }
            if let saveError { throw saveError }
        }
        return DistillationReport(record: record, hmm: hmm, iterations: done, samplingSeconds: samplingSeconds,
                                  trainingSeconds: Date().timeIntervalSince(trainingStart))
    }
}
