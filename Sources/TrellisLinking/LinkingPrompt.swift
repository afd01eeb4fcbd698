/// The text the model reads before it writes an entity name. The document comes first so one
/// cached prefix serves every mention in it; the question then names the mention with a little
/// local context, and the answer is the entity's name, written after a space, ended by a newline.
public struct LinkingPrompt: Sendable {
    /// Words of local context on each side of the mention inside the question.
    public var windowWords: Int = 6

    public init(windowWords: Int = 6) { self.windowWords = windowWords }

    /// Instructions and two worked examples (written for Trellis) showing that the answer is a
    /// full article title, not a copy of the mention; then the document.
    public func documentPrefix(_ text: String) -> String {
        """
        Link each mention to the title of its English Wikipedia article.
        Question: Which Wikipedia article does "Lincoln" refer to, in "[Lincoln] delivered the Gettysburg Address"?
        Answer: Abraham Lincoln
        Question: Which Wikipedia article does "Heathrow" refer to, in "delays at [Heathrow] after the storm"?
        Answer: Heathrow Airport

        Document: \(text)

        """
    }

    public func question(text: String, span: MentionSpan) -> String {
        let chars = Array(text)
        let mention = String(chars[span.start..<span.end])
        let before = String(chars[..<span.start]).split(separator: " ").suffix(windowWords).joined(separator: " ")
        let after = String(chars[span.end...]).split(separator: " ").prefix(windowWords).joined(separator: " ")
        let window = [before, "[\(mention)]", after].filter { !$0.isEmpty }.joined(separator: " ")
        return "Question: In the document above, which Wikipedia article does \"\(mention)\" refer to, in \"\(window)\"?\nAnswer:"
    }

    /// How a name is written as an answer (a leading space: it follows "Answer:").
    public func answerText(_ name: String) -> String { " " + name }
}
