/// The shipped ranker weights (see BENCHMARKS.md, entity linking).
extension CandidateRanker {
    /// Two fits. The non-model features: all 946 AIDA-CoNLL train documents (18,533 in-KB
    /// mentions), p(e|m) left one document out, L2 = 10 by 5-fold CV over documents
    /// (`trellis eval link --split train --no-model --fit-ranker FILE`; CV accuracy 93.1). Then,
    /// with those weights fixed, the model's features for surfaces the mention table does not
    /// know, fitted on the first 181 train documents (3,997 mentions scored by the model, 3,978
    /// with the gold shortlisted; shortlist and p(e|m) left one document out; L2 by 5-fold CV),
    /// with the previous standard weights as center: `trellis eval link --split
    /// train --limit-docs 181 --load-scores S.jsonl --fit-ranker FILE --center-ranker standard
    /// --fit-only model_logp_unseen_surface,model_logp_mean_unseen_surface` (CV 94.7 vs 94.3
    /// without the model; AIDA testa 90.3 vs 90.0). The model's features on known surfaces
    /// did not help (CV), so linking runs the model only for mentions whose surface the mention
    /// table lacks (`usesModelOnlyOnUnseenSurfaces`). Use `--ranker FILE` for other weights.
    public static let standard: CandidateRanker? = CandidateRanker(
        featureNames: CandidateFeatures.names,
        mean: [-15.464121, -3.166427, 0.190453, -3.390066, 0.191082, -4.972295, 0.176475, 0.104627, 0.126782, 0.676824, 0.898146, 0.101412, 0.190453, -1.348719, -0.231959],
        scale: [9.455735, 1.385999, 0.392658, 2.072547, 0.393153, 3.003517, 0.381224, 0.306072, 0.332729, 0.467689, 0.298886, 0.301873, 0.392658, 5.479801, 0.878248],
        weights: [0, 0, 0, 1.155504, -0.319453, 2.140841, -0.636043, 0.053675, -0.157535, -0.051569, -0.3449, -0.23092, 0.615691, -0.179669, 1.022798],
        l2: 0.01,
        note: "AIDA train, 180 documents, 3978 mentions; l2 by 5-fold CV, fitting only model_logp_mean_unseen_surface, model_logp_unseen_surface, the rest fixed at standard (AIDA train, 942 documents, 18531 mentions; l2 by 5-fold CV)")
}
