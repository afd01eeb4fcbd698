import TrellisCore
import TrellisHMM
import TrellisStore

/// An HMM as kept in the store: its record, its latest EM checkpoint and its parameters.
/// `load` reads π, A and B (H + H² + H·V floats, about 50 MB at H=256, V=49152) and checks
/// shapes and, when given, that the HMM was distilled from the tokenizer (and model) in use.
public struct StoredHMM: Sendable {
    /// Tensor kind of the distillation samples (N × T token ids as Float32, exact below 2²⁴).
    public static let trainingTokensKind = "training_tokens"

    public let record: HMMModelRecord
    public let checkpoint: HMMCheckpoint?
    public let hmm: HiddenMarkovModel

    public static func load(from store: TrellisStore, name: String, tokenizerFingerprint: String? = nil,
                            modelFingerprint: String? = nil) throws -> StoredHMM {
        guard let record = try store.hmmModel(named: name) else { throw ControlError.hmmNotFound(name: name) }
        try check(record, tokenizerFingerprint: tokenizerFingerprint, modelFingerprint: modelFingerprint)
        guard let hmm = try loadParameters(from: store, record: record) else {
            throw ControlError.corruptHMM(name: name, reason: "no parameters saved yet (run `trellis hmm distill` again to resume)")
        }
        return StoredHMM(record: record, checkpoint: try store.latestHMMCheckpoint(model: record.id), hmm: hmm)
    }

    static func check(_ record: HMMModelRecord, tokenizerFingerprint: String?, modelFingerprint: String?) throws {
        if let t = tokenizerFingerprint, t != record.tokenizerFingerprint {
            throw ControlError.hmmMismatch(name: record.name, field: "tokenizer", stored: record.tokenizerFingerprint, given: t)
        }
        if let m = modelFingerprint, m != record.modelFingerprint {
            throw ControlError.hmmMismatch(name: record.name, field: "model", stored: record.modelFingerprint, given: m)
        }
    }

    /// The stored π, A, B, or nil when none were saved yet.
    static func loadParameters(from store: TrellisStore, record: HMMModelRecord) throws -> HiddenMarkovModel? {
        let kinds = Set(try store.hmmTensorShapes(model: record.id).map(\.kind))
        guard kinds.isSuperset(of: [HMMTensor.initial, HMMTensor.transition, HMMTensor.emission]) else { return nil }
        let pi = try store.loadHMMTensor(kind: HMMTensor.initial, model: record.id)
        let a = try store.loadHMMTensor(kind: HMMTensor.transition, model: record.id)
        let b = try store.loadHMMTensor(kind: HMMTensor.emission, model: record.id)
        do {
            return try HiddenMarkovModel(hiddenStates: record.hiddenStates, vocabularySize: record.vocabularySize,
                                         parameters: pi.values + a.values + b.values)
        } catch {
            throw ControlError.corruptHMM(name: record.name, reason: "\(error)")
        }
    }

    /// π, A and B as store tensors.
    static func tensors(of hmm: HiddenMarkovModel) -> [HMMTensor] {
        let h = hmm.hiddenStates, v = hmm.vocabularySize
        return [HMMTensor(kind: HMMTensor.initial, rows: 1, columns: h, values: hmm.initial),
                HMMTensor(kind: HMMTensor.transition, rows: h, columns: h, values: hmm.transition),
                HMMTensor(kind: HMMTensor.emission, rows: h, columns: v, values: hmm.emission)]
    }
}
