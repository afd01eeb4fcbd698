import TrellisCore

extension TokenDFA {
    /// Texts in which every concept occurs as a whole word (phrase) in at least one of its
    /// alternatives, e.g. `[["dog", "dogs"], ["frisbee", "frisbees"]]`. At most 32 concepts.
    /// Matching spans token boundaries; a leading space in a token is simply a non-word byte.
    public static func keyphrases(_ concepts: [[String]], vocabulary: [[UInt8]]) throws -> TokenDFA {
        guard concepts.count <= 32 else { throw AutomataError.tooManyConcepts(limit: 32, got: concepts.count) }
        var phrases: [[UInt8]] = []
        var bits: [UInt32] = []
        for (i, alternatives) in concepts.enumerated() {
            if alternatives.isEmpty { throw AutomataError.emptyPhrase(concept: i) }
            for a in alternatives {
                if a.isEmpty { throw AutomataError.emptyPhrase(concept: i) }
                phrases.append(Array(a.utf8))
                bits.append(1 << UInt32(i))
            }
        }
        if concepts.isEmpty { return universal(vocabularySize: vocabulary.count) }
        let matcher = try ByteMatcher.phrases(phrases, bits: bits)
        let all: UInt32 = concepts.count == 32 ? .max : (1 << UInt32(concepts.count)) - 1
        return try lift(matcher, vocabulary: vocabulary, policy: .requireAll(all))
    }

    /// Texts in which the concepts occur in the given order, each as whole words in one of its
    /// alternatives, each occurrence starting after the previous concept's occurrence ended
    /// (`ByteMatcher.orderedPhrases`). At most 32 concepts.
    public static func orderedKeyphrases(_ concepts: [[String]], vocabulary: [[UInt8]]) throws -> TokenDFA {
        if concepts.isEmpty { return universal(vocabularySize: vocabulary.count) }
        let matcher = try ByteMatcher.orderedPhrases(concepts.map { $0.map { Array($0.utf8) } })
        let all: UInt32 = concepts.count == 32 ? .max : (1 << UInt32(concepts.count)) - 1
        return try lift(matcher, vocabulary: vocabulary, policy: .requireAll(all))
    }

    /// Texts in which none of `words` occurs as a whole word (phrase).
    public static func banned(_ words: [String], vocabulary: [[UInt8]]) throws -> TokenDFA {
        if words.isEmpty { return universal(vocabularySize: vocabulary.count) }
        for (i, w) in words.enumerated() where w.isEmpty { throw AutomataError.emptyPhrase(concept: i) }
        let matcher = try ByteMatcher.phrases(words.map { Array($0.utf8) },
                                              bits: [UInt32](repeating: 1, count: words.count))
        return try lift(matcher, vocabulary: vocabulary, policy: .forbidAny)
    }

    /// Texts with between `min` and `max` words (maximal runs of word bytes, see `isWordByte`).
    public static func wordCount(min: Int, max: Int, vocabulary: [[UInt8]]) throws -> TokenDFA {
        try lift(try ByteMatcher.wordCount(min: min, max: max), vocabulary: vocabulary, policy: .ignore)
    }

    /// Texts with at least `min` words, any number beyond (see `ByteMatcher.atLeastWords`).
    public static func atLeastWords(_ min: Int, vocabulary: [[UInt8]]) throws -> TokenDFA {
        try lift(try ByteMatcher.atLeastWords(min), vocabulary: vocabulary, policy: .ignore)
    }

    /// Sequences whose last token is `eos` and that contain it nowhere else.
    public static func endsWithEOS(_ eos: TokenID, vocabularySize: Int) throws -> TokenDFA {
        guard eos >= 0, Int(eos) < vocabularySize else {
            throw AutomataError.tokenOutsideVocabulary(token: eos, vocabularySize: vocabularySize)
        }
        var tokenClass = [Int32](repeating: 0, count: vocabularySize)
        tokenClass[Int(eos)] = 1
        // State 0: still writing; state 1: ended (accepting, nothing may follow).
        return TokenDFA(vocabularySize: vocabularySize, classCount: 2, tokenClass: tokenClass,
                        stateCount: 2, start: 0, transitions: [0, 1, -1, -1], accepting: [false, true])
    }
}

extension TokenDFA {
    /// Token sequences whose text matches `pattern` as a whole (see `RegexParser` for the dialect).
    /// Cost: the byte DFA's nodes × the vocabulary's bytes to lift, e.g. ~0.1 s for 100 nodes.
    public static func regex(_ pattern: String, vocabulary: [[UInt8]]) throws -> TokenDFA {
        try regex(try RegexParser.parse(pattern), vocabulary: vocabulary)
    }

    /// Token sequences whose text matches `node` as a whole.
    public static func regex(_ node: RegexNode, vocabulary: [[UInt8]]) throws -> TokenDFA {
        try lift(try ByteMatcher.regex(node), vocabulary: vocabulary, policy: .ignore).minimized()
    }

    /// Token sequences whose text is compact JSON valid under `schema` (see `JSONSchemaRegex`).
    public static func jsonSchema(_ schema: JSONValue, vocabulary: [[UInt8]]) throws -> TokenDFA {
        try regex(try JSONSchemaRegex.compile(schema), vocabulary: vocabulary)
    }
}
