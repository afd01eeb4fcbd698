extension BPETokenizer {
    /// FNV-1a 64 over: "gpt2", the pre-tokenizer name, then for each token its type byte and
    /// UTF-8 text, then each merge's UTF-8 text; fields are separated by bytes that never occur
    /// in UTF-8 (0xFF after each string, 0xFE between sections), so different inputs cannot
    /// run together. Rendered as 16 lowercase hex digits.
    static func fingerprint(tokens: [String], types: [TokenType], merges: [String],
                            preTokenizer: PreTokenizer) -> String {
        var h = FNV1a()
        h.combine("gpt2".utf8)
        h.combine(0xFF)
        h.combine(preTokenizer.rawValue.utf8)
        h.combine(0xFE)
        for (t, text) in tokens.enumerated() {
            h.combine(UInt8(truncatingIfNeeded: types[t].rawValue))
            h.combine(text.utf8)
            h.combine(0xFF)
        }
        h.combine(0xFE)
        for merge in merges {
            h.combine(merge.utf8)
            h.combine(0xFF)
        }
        let hex = String(h.value, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}
