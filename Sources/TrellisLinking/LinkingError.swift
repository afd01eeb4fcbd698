/// Problems a linking request can have, with what a user needs to fix it.
public enum LinkingError: Error, CustomStringConvertible, Equatable {
    case noMentionMarked
    case unbalancedMarkers(offset: Int)
    case spanOutOfRange(start: Int, end: Int, length: Int)
    case emptyKnowledgeBase
    case unknownEntity(String)
    case namesNotTokenized(count: Int)
    case noMarkerToken(String)
    case emptyText

    public var description: String {
        switch self {
        case .noMentionMarked: return "no mention marked: put [ and ] around a mention, or give character offsets"
        case .unbalancedMarkers(let offset): return "unbalanced [ ] mention markers near character \(offset)"
        case .spanOutOfRange(let s, let e, let n): return "mention span \(s)..<\(e) is outside the text (length \(n))"
        case .emptyKnowledgeBase: return "the knowledge base has no entity names; import one with `trellis kb import FILE`"
        case .unknownEntity(let key): return "unknown entity '\(key)' (not in the knowledge base)"
        case .namesNotTokenized(let n): return "\(n) names have no token ids yet; run `trellis kb import` again to tokenize them"
        case .noMarkerToken(let spelling): return "the tokenizer has no single token for the end-to-end marker \(spelling)"
        case .emptyText: return "the text to link is empty"
        }
    }
}
