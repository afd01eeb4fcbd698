import TrellisCore

/// A byte-level BPE tokenizer (GPT-2 family: SmolLM, Llama 3, Qwen2) as GGUF's
/// `tokenizer.ggml.model = "gpt2"` describes it, reproducing llama.cpp's token ids.
///
/// Encoding: special-token strings are cut out first (`SpecialTokenMatcher`), each remaining
/// piece of text is split into words by the model's `PreTokenizer`, and each word's bytes are
/// merged by ranked BPE rules (Sennrich et al. 2016; Radford et al. 2019 for the byte-level
/// alphabet) on integer symbol ids with a heap, O(n log n) per word of n bytes. Decoding is a
/// table read per token (`tokenBytes`); `StreamingDecoder` turns a token stream into complete
/// UTF-8 text.
///
/// Everything is frozen at construction into flat arrays (token bytes blob, merge hash table,
/// special-token buckets): `sizeInBytes` reports the total. Immutable, hence `Sendable`; `encode`
/// allocates only its own scratch buffers, so concurrent calls are safe.
public final class BPETokenizer: TextTokenizer {
    public let vocabularySize: Int
    public let bosTokenID: TokenID?
    public let eosTokenID: TokenID?
    public let unknownTokenID: TokenID?
    public let paddingTokenID: TokenID?
    /// End-of-turn token (`tokenizer.ggml.eot_token_id`), if the model names one.
    public let endOfTurnTokenID: TokenID?
    public let addsBOS: Bool
    public let addsEOS: Bool
    public let preTokenizer: PreTokenizer
    /// Whether a word found whole in the vocabulary skips BPE (Llama 3's `ignore_merges`).
    public let ignoresMerges: Bool
    /// `tokenizer.chat_template` as stored in the model, if any.
    public let chatTemplateSource: String?
    /// A 64-bit FNV-1a hash (16 hex digits) over the pre-tokenizer, every token's type and text,
    /// and every merge rule: two tokenizers with equal fingerprints give the same ids.
    public let fingerprint: String
    /// Number of usable merge rules.
    public let mergeCount: Int

    let tokenTypes: [TokenType]
    /// Vocabulary entries as stored (byte-level text for normal tokens); all indexed.
    let texts: TokenByteTable
    /// What each token decodes to; normal tokens indexed for whole-word lookup.
    let decoded: TokenByteTable
    /// Bytes of virtual symbols (index = symbol - vocabularySize).
    let virtualSymbols: TokenByteTable
    /// Token of each single byte, or -1 when the vocabulary lacks it.
    let byteTokens: [Int32]
    let merger: BPEMerger
    let specials: SpecialTokenMatcher

    /// Builds a tokenizer from vocabulary arrays (as GGUF stores them).
    /// - Parameters:
    ///   - tokens: vocabulary entries; normal tokens in GPT-2 byte-level text ("Ġthe").
    ///   - tokenTypes: one per token; nil means all normal.
    ///   - merges: BPE rules "left right", highest priority first.
    ///   - addsBOS: nil takes the pre-tokenizer's default (true only for Llama 3).
    ///   - ignoresMerges: nil takes the pre-tokenizer's default (true only for Llama 3).
    /// - Throws: `TokenizerError` for an empty vocabulary, a type count that differs from the token
    ///   count, a malformed merge, or a special id outside the vocabulary.
    public init(tokens: [String], tokenTypes: [TokenType]? = nil, merges: [String],
                preTokenizer: PreTokenizer,
                bosTokenID: TokenID? = nil, eosTokenID: TokenID? = nil,
                unknownTokenID: TokenID? = nil, paddingTokenID: TokenID? = nil,
                endOfTurnTokenID: TokenID? = nil,
                addsBOS: Bool? = nil, addsEOS: Bool = false, ignoresMerges: Bool? = nil,
                chatTemplateSource: String? = nil) throws {
        guard !tokens.isEmpty else { throw TokenizerError.emptyVocabulary }
        let types = tokenTypes ?? [TokenType](repeating: .normal, count: tokens.count)
        guard types.count == tokens.count else {
            throw TokenizerError.malformedMetadata(
                key: "tokenizer.ggml.token_type",
                reason: "\(types.count) types for \(tokens.count) tokens")
        }
        let size = tokens.count
        for (key, id) in [("tokenizer.ggml.bos_token_id", bosTokenID), ("tokenizer.ggml.eos_token_id", eosTokenID),
                          ("tokenizer.ggml.unknown_token_id", unknownTokenID),
                          ("tokenizer.ggml.padding_token_id", paddingTokenID),
                          ("tokenizer.ggml.eot_token_id", endOfTurnTokenID)] {
            if let id, id < 0 || Int(id) >= size {
                throw TokenizerError.tokenIDOutOfRange(key: key, id: Int(id), vocabularySize: size)
            }
        }
        vocabularySize = size
        self.bosTokenID = bosTokenID
        self.eosTokenID = eosTokenID
        self.unknownTokenID = unknownTokenID
        self.paddingTokenID = paddingTokenID
        self.endOfTurnTokenID = endOfTurnTokenID
        self.addsBOS = addsBOS ?? preTokenizer.addsBOSByDefault
        self.addsEOS = addsEOS
        self.preTokenizer = preTokenizer
        self.ignoresMerges = ignoresMerges ?? preTokenizer.ignoresMergesByDefault
        self.chatTemplateSource = chatTemplateSource
        self.tokenTypes = types

        // Token bytes: byte-level decoding for ordinary tokens, raw text for added ones.
        var decodedBytes: [[UInt8]] = []
        decodedBytes.reserveCapacity(size)
        var wholeWordIndexed = [Bool](repeating: false, count: size)
        for (t, text) in tokens.enumerated() {
            switch types[t] {
            case .control, .unknown, .unused:
                decodedBytes.append([])
            case .userDefined:
                decodedBytes.append(Array(text.utf8))
            case .normal, .undefined, .byte:
                decodedBytes.append(ByteLevelAlphabet.decode(text))
                wholeWordIndexed[t] = true
            }
        }
        texts = TokenByteTable(tokenBytes: tokens.map { Array($0.utf8) },
                               indexed: [Bool](repeating: true, count: size))
        decoded = TokenByteTable(tokenBytes: decodedBytes, indexed: wholeWordIndexed)

        // Symbol space: every vocabulary entry, plus virtual ids for byte symbols and merge
        // results the vocabulary lacks. Later duplicates of a text win, as in llama.cpp.
        var symbolOf: [String: Int32] = [:]
        symbolOf.reserveCapacity(size + 256)
        for (t, text) in tokens.enumerated() { symbolOf[text] = Int32(t) }
        var virtualTexts: [String] = []
        func intern(_ text: String) -> Int32 {
            if let id = symbolOf[text] { return id }
            let id = Int32(size + virtualTexts.count)
            symbolOf[text] = id
            virtualTexts.append(text)
            return id
        }
        var byteSymbols = [Int32](repeating: 0, count: 256)
        var byteTokens = [Int32](repeating: -1, count: 256)
        for b in 0..<256 {
            let text = ByteLevelAlphabet.encode([UInt8(b)])
            byteSymbols[b] = intern(text)
            if Int(byteSymbols[b]) < size { byteTokens[b] = byteSymbols[b] }
        }
        var pairs: [(left: String, right: String)] = []
        pairs.reserveCapacity(merges.count)
        for (index, merge) in merges.enumerated() {
            // Split at the first space after the first byte (llama.cpp: `find(' ', 1)`).
            let utf8 = merge.utf8
            guard let space = utf8.dropFirst().firstIndex(of: 0x20) else {
                throw TokenizerError.malformedMerge(index: index, text: merge)
            }
            let left = String(merge[merge.startIndex..<space])
            let right = String(merge[merge.index(after: space)...])
            pairs.append((left, right))
            _ = intern(left + right)
        }
        // A rule whose sides were never produced (not a byte, not a merge result) cannot fire.
        var rules: [(left: Int32, right: Int32, merged: Int32)] = []
        rules.reserveCapacity(pairs.count)
        for pair in pairs {
            rules.append((symbolOf[pair.left] ?? -1, symbolOf[pair.right] ?? -1, symbolOf[pair.left + pair.right]!))
        }
        let table = MergeTable(rules: rules)
        merger = BPEMerger(merges: table, byteSymbols: byteSymbols, vocabularySize: Int32(size))
        mergeCount = table.count
        self.byteTokens = byteTokens
        virtualSymbols = TokenByteTable(tokenBytes: virtualTexts.map(ByteLevelAlphabet.decode),
                                        indexed: [Bool](repeating: false, count: virtualTexts.count))

        var candidates: [(id: Int32, bytes: [UInt8], needsParseSpecial: Bool)] = []
        for (t, type) in types.enumerated() where type == .control || type == .userDefined || type == .unknown {
            candidates.append((Int32(t), Array(tokens[t].utf8), type != .userDefined))
        }
        specials = SpecialTokenMatcher(candidates: candidates)
        fingerprint = Self.fingerprint(tokens: tokens, types: types, merges: merges, preTokenizer: preTokenizer)
    }

    /// Bytes held by the frozen tables.
    public var sizeInBytes: Int {
        texts.sizeInBytes + decoded.sizeInBytes + virtualSymbols.sizeInBytes + merger.merges.sizeInBytes
            + specials.sizeInBytes + tokenTypes.count + byteTokens.count * 4 + merger.byteSymbols.count * 4
    }

    // MARK: vocabulary access

    /// The type of `token`, or nil outside the vocabulary.
    public func tokenType(_ token: TokenID) -> TokenType? {
        token >= 0 && Int(token) < vocabularySize ? tokenTypes[Int(token)] : nil
    }

    /// The vocabulary entry of `token` as stored (byte-level text such as "Ġthe" for ordinary
    /// tokens, "<|im_start|>" for special ones); empty outside the vocabulary.
    public func tokenText(_ token: TokenID) -> String {
        guard token >= 0 && Int(token) < vocabularySize else { return "" }
        return String(decoding: texts.bytes[texts.range(of: Int(token))], as: UTF8.self)
    }

    /// The token whose vocabulary entry is exactly `text` (as `tokenText` spells it).
    public func tokenID(forText text: String) -> TokenID? {
        var text = text
        return text.withUTF8 { texts.lookup($0) }
    }

    /// The ordinary token that decodes to exactly `bytes`, if there is one.
    public func tokenID(forBytes bytes: [UInt8]) -> TokenID? {
        bytes.withUnsafeBufferPointer { decoded.lookup($0) }
    }

    public func tokenBytes(_ token: TokenID) -> [UInt8] {
        guard token >= 0 && Int(token) < vocabularySize else { return [] }
        return Array(decoded.bytes[decoded.range(of: Int(token))])
    }

    /// Calls `body` with the bytes of `token` in place (no copy); empty outside the vocabulary.
    public func withTokenBytes<R>(_ token: TokenID, _ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        try decoded.bytes.withUnsafeBufferPointer { all in
            guard token >= 0 && Int(token) < vocabularySize else {
                return try body(UnsafeBufferPointer(rebasing: all[0..<0]))
            }
            return try body(UnsafeBufferPointer(rebasing: all[decoded.range(of: Int(token))]))
        }
    }

    /// Control, unknown and unused tokens: they stand for no text.
    public func isSpecial(_ token: TokenID) -> Bool {
        tokenType(token)?.isTextless ?? false
    }

    /// Tokens that end generation: EOS and end-of-turn, deduplicated, ascending.
    public var endOfGenerationTokenIDs: [TokenID] {
        Array(Set([eosTokenID, endOfTurnTokenID].compactMap { $0 })).sorted()
    }
}

extension BPETokenizer {
    /// The text of `tokens` (control tokens contribute nothing; invalid or incomplete UTF-8
    /// becomes U+FFFD). Same result as `TextTokenizer.decode`, without a copy per token.
    public func decode(_ tokens: some Sequence<TokenID>) -> String {
        var bytes: [UInt8] = []
        decoded.bytes.withUnsafeBufferPointer { all in
            for token in tokens where token >= 0 && Int(token) < vocabularySize {
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: all[decoded.range(of: Int(token))]))
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
