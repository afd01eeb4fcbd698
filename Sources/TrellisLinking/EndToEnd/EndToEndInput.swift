import TrellisCore

/// A text cut into chunks (a run of whitespace, then one run of letters/digits or one other
/// character) and tokenized chunk by chunk, so that mention boundaries fall between tokens and
/// markers inserted between chunks never change how the copied text tokenizes: the copy machine
/// copies these exact token ids. Newlines are read as spaces (the newline ends the output line),
/// which keeps character offsets unchanged. The first chunk gets one synthetic leading space,
/// because the copy follows "Output:" as running text.
///
/// Building costs one tokenizer call per chunk: O(text length).
public struct EndToEndInput: Sendable {
    /// One chunk: its characters in the original text and its tokens.
    public struct Chunk: Sendable, Equatable {
        /// Character offset where the chunk's whitespace starts (-1 for the synthetic space).
        public var start: Int
        /// Character offset where the chunk's word or symbol starts (== end when it has none).
        public var coreStart: Int
        /// Character offset after the chunk.
        public var end: Int
        /// Index of the chunk's first token in `tokens`.
        public var firstToken: Int
    }

    public let text: String
    public let chunks: [Chunk]
    /// The tokens of all chunks, in order; they decode to " " + text (newlines as spaces).
    public let tokens: [TokenID]
    /// For each token position p in 0...tokens.count: the chunk starting at p, or -1 (the last
    /// entry, p == tokens.count, holds chunks.count).
    public let chunkStartingAt: [Int32]

    public init(text: String, tokenizer: any TextTokenizer) {
        self.text = text
        var chunks: [Chunk] = []
        var tokens: [TokenID] = []
        let characters = Array(text.replacingNewlinesWithSpaces())
        var i = 0
        var pendingSyntheticSpace = true
        while i < characters.count || pendingSyntheticSpace {
            let start = i
            while i < characters.count, Self.isSpace(characters[i]) { i += 1 }
            let coreStart = i
            if i < characters.count {
                if Self.isWordCharacter(characters[i]) {
                    while i < characters.count, Self.isWordCharacter(characters[i]) { i += 1 }
                } else {
                    i += 1
                }
            }
            var chunkText = String(repeating: " ", count: coreStart - start)
            chunkText += String(characters[coreStart..<i])
            if pendingSyntheticSpace { chunkText = " " + chunkText }
            let chunkTokens = tokenizer.encode(chunkText)
            if !chunkTokens.isEmpty {
                chunks.append(Chunk(start: pendingSyntheticSpace ? start - 1 : start, coreStart: coreStart, end: i,
                                    firstToken: tokens.count))
                tokens.append(contentsOf: chunkTokens)
            }
            pendingSyntheticSpace = false
        }
        var starts = [Int32](repeating: -1, count: tokens.count + 1)
        for (c, chunk) in chunks.enumerated() { starts[chunk.firstToken] = Int32(c) }
        starts[tokens.count] = Int32(chunks.count)
        self.chunks = chunks
        self.tokens = tokens
        self.chunkStartingAt = starts
    }

    /// Whether chunk `c` has a word or symbol (not whitespace only).
    public func hasCore(_ c: Int) -> Bool { chunks[c].coreStart < chunks[c].end }

    /// The text of chunks `first..<last` without the first chunk's leading whitespace.
    public func surface(_ first: Int, _ last: Int) -> String {
        let characters = Array(text)
        return String(characters[chunks[first].coreStart..<chunks[last - 1].end])
    }

    /// Token position where chunk `c` starts (`tokens.count` for c == chunks.count).
    public func tokenPosition(ofChunk c: Int) -> Int { c < chunks.count ? chunks[c].firstToken : tokens.count }

    static func isSpace(_ c: Character) -> Bool { c.isWhitespace }
    static func isWordCharacter(_ c: Character) -> Bool { c.isLetter || c.isNumber }
}
