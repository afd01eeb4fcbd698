/// An opaque handle to one sequence (its KV cache) inside a `NextTokenModel`.
public struct SequenceID: Hashable, Sendable, CustomStringConvertible {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }
    public var description: String { "seq#\(rawValue)" }
}

/// One unit of batched work: append `tokens` to `sequence` and return the logits that follow.
public struct SequenceExtension: Sendable {
    public var sequence: SequenceID
    public var tokens: [TokenID]
    public init(sequence: SequenceID, tokens: [TokenID]) {
        self.sequence = sequence
        self.tokens = tokens
    }
}

/// A language model seen the way decoders drive it: many sequences, each with its own cache,
/// extended together in one batched forward pass.
///
/// Decoders (beam search, SEAL, guided generation) depend on this protocol only, so they are
/// tested against toy models in milliseconds; the transformer runtime is one conformer.
/// Forking is cheap: a child shares its parent's cached prefix.
public protocol NextTokenModel: AnyObject {
    /// Width of a logit row.
    var vocabularySize: Int { get }
    /// Longest sequence (prompt plus generated tokens) the model accepts.
    var contextLength: Int { get }

    /// A new, empty sequence.
    func makeSequence() throws -> SequenceID
    /// A new sequence whose history equals `parent`'s at this moment.
    func fork(_ parent: SequenceID) throws -> SequenceID
    /// Frees a sequence's cache; the handle must not be used again.
    func release(_ sequence: SequenceID)
    /// Number of tokens already in `sequence`.
    func length(of sequence: SequenceID) -> Int

    /// Appends each request's tokens to its sequence in one batched pass and writes, into row i
    /// of `logits`, the next-token logits after the last token of request i.
    /// Every request must carry at least one token; sequences must be distinct.
    func extend(_ requests: [SequenceExtension], logits: LogitMatrix) throws
}
