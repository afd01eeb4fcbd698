/// A mention as a character range of a text (Swift `Character` offsets, i.e. grapheme clusters).
public struct MentionSpan: Sendable, Hashable, Codable {
    public var start: Int
    public var end: Int
    public init(start: Int, end: Int) {
        self.start = start
        self.end = end
    }

    /// Reads `[`…`]` markers: returns the text without markers and the marked spans.
    /// Nested or unbalanced markers are an error; a literal bracket can be written `\[` / `\]`.
    public static func parseMarked(_ marked: String) throws -> (text: String, spans: [MentionSpan]) {
        var text: [Character] = []
        var spans: [MentionSpan] = []
        var open: Int? = nil
        var escaped = false
        for (offset, ch) in marked.enumerated() {
            if escaped {
                text.append(ch)
                escaped = false
                continue
            }
            switch ch {
            case "\\": escaped = true
            case "[":
                guard open == nil else { throw LinkingError.unbalancedMarkers(offset: offset) }
                open = text.count
            case "]":
                guard let start = open else { throw LinkingError.unbalancedMarkers(offset: offset) }
                spans.append(MentionSpan(start: start, end: text.count))
                open = nil
            default: text.append(ch)
            }
        }
        if open != nil { throw LinkingError.unbalancedMarkers(offset: marked.count) }
        return (String(text), spans)
    }
}
