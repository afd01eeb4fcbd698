/// The shipped ranker weights (see BENCHMARKS.md, entity linking).
extension CandidateRanker {
    /// Fitted on all 946 AIDA-CoNLL train documents (18,533 in-KB mentions) with p(e|m) left one
    /// document out, L2 = 10 chosen by 5-fold cross-validation over documents, by
    /// `trellis eval link --split train --no-model --fit-ranker FILE` (5-fold CV accuracy 93.1 on
    /// train). It gives the model's features weight 0: a ranker fitted with them (on 25 train
    /// documents, all the shared machine allowed scoring) did worse on AIDA testa (see
    /// BENCHMARKS.md), so by default
    /// candidates are ranked by in-links, mention-table p(e|m) and string features, and the model
    /// is not run for candidate lists (`usesModel`). Use `--ranker FILE` for other weights.
    public static let standard: CandidateRanker? = CandidateRanker(
        featureNames: Array(CandidateFeatures.names.prefix(13)),
        mean: [0, 0, 1, -6.241848, 0.057201, -6.109622, 0.060697, 0.031006, 0.037886, 0.739382, 0.948081, 0.185913, 0.05713],
        scale: [1, 1, 1, 2.759937, 0.232227, 2.168421, 0.238773, 0.173334, 0.190921, 0.438972, 0.218836, 0.389037, 0.232092],
        weights: [0, 0, 0, 1.538743, -0.188694, 1.545603, -0.398375, 0.030397, -0.090394, -0.048403, -0.252526, -0.297597, 0.363922],
        l2: 10,
        note: "AIDA train, 942 documents, 18531 mentions; l2 by 5-fold CV").extended(to: CandidateFeatures.names)
}
