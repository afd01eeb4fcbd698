/// The shipped ranker weights (see BENCHMARKS.md, entity linking, for how they were fitted).
extension CandidateRanker {
    /// Default weights; nil until fitted.
    public static let standard: CandidateRanker? = nil
}
