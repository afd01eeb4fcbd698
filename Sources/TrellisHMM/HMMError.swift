import TrellisCore

/// Errors about HMM parameters and training data, each carrying the offending shape or value.
public enum HMMError: Error, Equatable, CustomStringConvertible {
    case shapeMismatch(what: String, expected: Int, got: Int)
    case invalidProbabilities(what: String, row: Int)
    case tokenOutsideVocabulary(token: TokenID, vocabularySize: Int, sequence: Int)
    case raggedSequences(expectedLength: Int, sequence: Int, got: Int)
    case emptyTrainingSet
    case vocabularyMismatch(hmm: Int, dfa: Int)

    public var description: String {
        switch self {
        case .shapeMismatch(let w, let e, let g): return "\(w) has \(g) values, expected \(e)"
        case .invalidProbabilities(let w, let r): return "\(w) row \(r) is not a probability distribution"
        case .tokenOutsideVocabulary(let t, let v, let s): return "sequence \(s) has token \(t) outside vocabulary of \(v)"
        case .raggedSequences(let e, let s, let g): return "sequence \(s) has \(g) tokens, expected \(e) (EM batches need equal lengths)"
        case .emptyTrainingSet: return "no training sequences"
        case .vocabularyMismatch(let h, let d): return "HMM vocabulary \(h) differs from DFA vocabulary \(d)"
        }
    }
}
