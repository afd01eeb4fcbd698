import Foundation

/// Row id of an HMM in a store.
public typealias HMMModelID = Int64

/// An HMM's identity: a unique name, the tokenizer and language model it was distilled from
/// (fingerprints supplied by the caller), its number of hidden states H and vocabulary size V.
public struct HMMModelRecord: Sendable, Equatable {
    public var id: HMMModelID
    public var name: String
    public var tokenizerFingerprint: String
    public var modelFingerprint: String
    public var hiddenStates: Int
    public var vocabularySize: Int
    public var createdAt: Date
}

/// One parameter matrix of an HMM, row-major: `values[r * columns + c]`, shape rows × columns.
/// Standard kinds and shapes: `initial` 1 × H, `transition` H × H (row = from-state),
/// `emission` H × V (row = state); other kinds (e.g. optimizer state) are free-form.
public struct HMMTensor: Sendable, Equatable {
    public static let initial = "initial"
    public static let transition = "transition"
    public static let emission = "emission"

    public var kind: String
    public var rows: Int
    public var columns: Int
    public var values: [Float]  // rows × columns, row-major

    public init(kind: String, rows: Int, columns: Int, values: [Float]) {
        self.kind = kind
        self.rows = rows
        self.columns = columns
        self.values = values
    }
}

/// An EM checkpoint: the iteration whose parameters are stored and its log-likelihood.
public struct HMMCheckpoint: Sendable, Equatable {
    public var iteration: Int
    public var logLikelihood: Double
    public var createdAt: Date
}
