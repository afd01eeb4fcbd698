/// A `NextTokenModel` that can also return the logits after *every* appended token, not only
/// after the last one.
///
/// Decoders use it to append a run of forced tokens (the constraint allows exactly one token at
/// each position, e.g. the rest of an entity name) in one batched pass and still score each
/// forced token with the model's own probability (jump-forward without changing the score).
/// A transformer computes the hidden state of every appended position anyway; only the output
/// head runs on more rows. Models that do not conform are driven one forced token per pass.
public protocol AllPositionLogitsModel: NextTokenModel {
    /// Appends each request's tokens to its sequence in one batched pass, like `extend`, but
    /// writes one logit row per appended token: request i owns the rows starting at
    /// `requests[0..<i].map(\.tokens.count).sum()`, and its row j holds the next-token logits
    /// after its token j. `logits` is resized to the total number of appended tokens.
    /// Every request must carry at least one token; sequences must be distinct.
    func extendReturningAllLogits(_ requests: [SequenceExtension], logits: LogitMatrix) throws
}
