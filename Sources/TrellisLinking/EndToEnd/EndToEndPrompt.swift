import TrellisCore

/// The few-shot prompt of end-to-end linking: an instruction and worked examples (written for
/// Trellis) in exactly the output format the constraint enforces — the input copied, each
/// mention as `[ mention] { Title }` — rendered with the same chunked tokenization and marker
/// tokens, so the examples show the model token sequences it can actually produce.
public struct EndToEndPrompt: Sendable {
    /// A worked example: a sentence and its mentions (surface, title) in order of appearance.
    public struct Example: Sendable {
        public var text: String
        public var mentions: [(surface: String, title: String)]
        public init(text: String, mentions: [(surface: String, title: String)]) {
            self.text = text
            self.mentions = mentions
        }
    }

    public var instruction = "Copy the input and mark every named entity as [mention] followed by {the title of its English Wikipedia article}."
    public var examples: [Example] = [
        Example(text: "Jordan scored 40 points as the Bulls beat Detroit in Chicago.",
                mentions: [("Jordan", "Michael Jordan"), ("Bulls", "Chicago Bulls"), ("Detroit", "Detroit Pistons"),
                           ("Chicago", "Chicago")]),
        Example(text: "Shares of Apple rose 3 percent in New York on Monday.",
                mentions: [("Apple", "Apple Inc."), ("New York", "New York City")]),
    ]

    /// Whether the prompt shows the plain input before the output. With the unmarked text in
    /// context a small model tends to copy it verbatim (on long inputs it opened no mention in
    /// our runs); without it (the default), copied tokens are still forced by the constraint and
    /// the model decides from the marked-up text written so far.
    public var showsInput = false

    public init() {}

    /// Prompt tokens up to the point where the copy of `input` begins.
    public func tokens(for input: EndToEndInput, tokenizer: any TextTokenizer, markers: MentionMarkers) -> [TokenID] {
        var out = tokenizer.encode(instruction + "\n")
        for example in examples {
            let exampleInput = EndToEndInput(text: example.text, tokenizer: tokenizer)
            out += tokenizer.encode(showsInput ? "\nInput: " + example.text + "\nOutput:" : "\nOutput:")
            out += render(exampleInput, example.mentions, tokenizer: tokenizer, markers: markers)
            out += tokenizer.encode("\n")
        }
        out += tokenizer.encode(showsInput ? "\nInput: " + input.text.replacingNewlinesWithSpaces() + "\nOutput:" : "\nOutput:")
        return out
    }

    /// The marked-up output of an example: mentions found left to right at chunk boundaries.
    func render(_ input: EndToEndInput, _ mentions: [(surface: String, title: String)], tokenizer: any TextTokenizer,
                markers: MentionMarkers) -> [TokenID] {
        var out: [TokenID] = []
        var c = 0
        var pending = mentions[...]
        while c < input.chunks.count {
            if let m = pending.first, input.hasCore(c),
               let end = (c + 1...input.chunks.count).first(where: { input.surface(c, $0) == m.surface }) {
                out.append(markers.mentionOpen)
                out += input.tokens[input.tokenPosition(ofChunk: c)..<input.tokenPosition(ofChunk: end)]
                out += [markers.mentionClose, markers.entityOpen] + tokenizer.encode(" " + m.title) + [markers.entityClose]
                pending = pending.dropFirst()
                c = end
            } else {
                out += input.tokens[input.tokenPosition(ofChunk: c)..<input.tokenPosition(ofChunk: c + 1)]
                c += 1
            }
        }
        return out
    }
}

extension String {
    /// Newline characters (including "\r\n", one `Character`) as spaces: same character count.
    func replacingNewlinesWithSpaces() -> String {
        String(map { $0.isNewline ? " " : $0 })
    }
}
