import TrellisCore

extension BPETokenizer {
    /// Token ids for `text` (no BOS/EOS). With `parseSpecial`, control tokens written in the text
    /// (`<|im_start|>`) become their ids; without it they are tokenized as plain text.
    /// User-defined (added) tokens are matched either way, as in llama.cpp.
    /// O(n log n) in the UTF-8 length, dominated by one pass of scanning and merging.
    public func encode(_ text: String, parseSpecial: Bool) -> [TokenID] {
        var text = text
        return text.withUTF8 { encode(utf8: $0, parseSpecial: parseSpecial) }
    }

    /// As `encode(_:parseSpecial:)`, then BOS in front when `addsBOS` and EOS at the end when
    /// `addsEOS`, if `addSpecialTokens` (llama.cpp's `add_special`).
    public func encode(_ text: String, addSpecialTokens: Bool, parseSpecial: Bool) -> [TokenID] {
        var ids = encode(text, parseSpecial: parseSpecial)
        if addSpecialTokens {
            if addsBOS, let bos = bosTokenID { ids.insert(bos, at: 0) }
            if addsEOS, let eos = eosTokenID { ids.append(eos) }
        }
        return ids
    }

    /// Encodes valid UTF-8 (a Swift string's storage).
    func encode(utf8 bytes: UnsafeBufferPointer<UInt8>, parseSpecial: Bool) -> [TokenID] {
        var out: [TokenID] = []
        out.reserveCapacity(bytes.count / 3 + 4)
        var scratch = TextScratch()
        for fragment in specials.fragments(bytes, parseSpecial: parseSpecial) {
            switch fragment {
            case .token(let id):
                out.append(id)
            case .text(let range):
                encodeText(UnsafeBufferPointer(rebasing: bytes[range]), scratch: &scratch, into: &out)
            }
        }
        return out
    }

    /// Per-call buffers for one text fragment: its scalars, their classes and byte offsets, the
    /// piece ends, and the merger's scratch. Reused across fragments; a struct passed `inout`
    /// so that appends pay no dynamic exclusivity check.
    struct TextScratch {
        var scalars: [UInt32] = []
        var classes: [UInt8] = []
        /// Byte offset of each scalar, plus the fragment length at the end.
        var byteStarts: [Int32] = []
        var ends: [Int32] = []
        let merge = BPEMerger.Scratch()
    }

    /// Pre-tokenizes one fragment without special tokens and appends the ids of its words.
    private func encodeText(_ text: UnsafeBufferPointer<UInt8>, scratch: inout TextScratch, into out: inout [TokenID]) {
        let n = text.count
        scratch.scalars.removeAll(keepingCapacity: true)
        scratch.classes.removeAll(keepingCapacity: true)
        scratch.byteStarts.removeAll(keepingCapacity: true)
        scratch.ends.removeAll(keepingCapacity: true)
        scratch.scalars.reserveCapacity(n)
        scratch.classes.reserveCapacity(n)
        scratch.byteStarts.reserveCapacity(n + 1)
        // Decode the (valid) UTF-8 and classify each scalar.
        ScalarClass.basicPlane.withUnsafeBufferPointer { plane in
            var p = 0
            while p < n {
                let b0 = UInt32(text[p])
                var value: UInt32, length: Int
                if b0 < 0x80 {
                    value = b0; length = 1
                } else if b0 < 0xE0 {
                    value = (b0 & 0x1F) << 6 | UInt32(text[p + 1] & 0x3F); length = 2
                } else if b0 < 0xF0 {
                    value = (b0 & 0x0F) << 12 | UInt32(text[p + 1] & 0x3F) << 6 | UInt32(text[p + 2] & 0x3F)
                    length = 3
                } else {
                    value = (b0 & 0x07) << 18 | UInt32(text[p + 1] & 0x3F) << 12
                        | UInt32(text[p + 2] & 0x3F) << 6 | UInt32(text[p + 3] & 0x3F)
                    length = 4
                }
                scratch.scalars.append(value)
                scratch.classes.append(ScalarClass.of(value, basicPlane: plane))
                scratch.byteStarts.append(Int32(p))
                p += length
            }
        }
        scratch.byteStarts.append(Int32(n))
        let count = scratch.scalars.count
        scratch.scalars.withUnsafeBufferPointer { s in
            scratch.classes.withUnsafeBufferPointer { k in
                preTokenizer.pieces(s, k, 0, count, into: &scratch.ends)
            }
        }
        let hasVirtualSymbols = virtualSymbols.count > 0
        var start = 0
        for end in scratch.ends {
            let word = UnsafeBufferPointer(rebasing: text[Int(scratch.byteStarts[start])..<Int(scratch.byteStarts[Int(end)])])
            start = Int(end)
            if ignoresMerges && word.count > 1, let whole = decoded.lookup(word) {
                out.append(whole)
                continue
            }
            let first = out.count
            merger.merge(word, scratch: scratch.merge, into: &out)
            if hasVirtualSymbols { expandVirtualSymbols(from: first, in: &out) }
        }
    }

    /// Replaces symbols the vocabulary lacks by the tokens of their single bytes (or the unknown
    /// token for a byte without one). Only reachable with vocabularies whose merges produce
    /// strings they do not list; llama.cpp drops such bytes instead, which loses text.
    private func expandVirtualSymbols(from first: Int, in out: inout [TokenID]) {
        guard out[first...].contains(where: { Int($0) >= vocabularySize }) else { return }
        let tail = Array(out[first...])
        out.removeSubrange(first...)
        for symbol in tail {
            if Int(symbol) < vocabularySize {
                out.append(symbol)
                continue
            }
            for b in virtualSymbols.bytes[virtualSymbols.range(of: Int(symbol) - vocabularySize)] {
                let token = byteTokens[Int(b)]
                if token >= 0 {
                    out.append(token)
                } else if let unknown = unknownTokenID {
                    out.append(unknown)
                }
            }
        }
    }
}
