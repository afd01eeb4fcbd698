import TrellisCore

/// Errors raised while building token automata from user input, each naming what to fix.
public enum AutomataError: Error, Equatable, CustomStringConvertible {
    /// A keyword alternative or banned word is empty.
    case emptyPhrase(concept: Int)
    /// More concepts than the bitmask holds.
    case tooManyConcepts(limit: Int, got: Int)
    /// A word-count range with min above max, or negative bounds.
    case invalidWordRange(min: Int, max: Int)
    /// The EOS token id lies outside the vocabulary.
    case tokenOutsideVocabulary(token: TokenID, vocabularySize: Int)
    /// Two automata over different vocabularies were combined.
    case vocabularyMismatch(left: Int, right: Int)
    /// A construction would exceed a state limit.
    case tooManyStates(limit: Int)

    public var description: String {
        switch self {
        case .emptyPhrase(let c): return "concept \(c) has an empty alternative"
        case .tooManyConcepts(let limit, let got): return "\(got) concepts, over the limit of \(limit)"
        case .invalidWordRange(let lo, let hi): return "invalid word range \(lo)...\(hi)"
        case .tokenOutsideVocabulary(let t, let v): return "token \(t) outside vocabulary of \(v)"
        case .vocabularyMismatch(let l, let r): return "automata over vocabularies of \(l) and \(r) tokens"
        case .tooManyStates(let limit): return "automaton exceeds \(limit) states"
        }
    }
}
