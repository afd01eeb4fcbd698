extension PreTokenizer {
    /// Llama 3 (`maxDigits` 3) and Qwen2 (`maxDigits` 1):
    /// `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,maxDigits}|
    ///  ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`, matched leftmost-first at each position:
    /// 1. contractions as GPT-2 but case-insensitive (ASCII letters: "'S", "'Ll");
    /// 2. letters, optionally led by one scalar that is not CR, LF, a letter or a number — so a
    ///    space, a tab or punctuation joins the following word ("(word", "\tword");
    /// 3. up to `maxDigits` number scalars;
    /// 4. an optional U+0020 SPACE, a run of "other" scalars, then any CR/LF run ("}\n");
    /// 5. a whitespace run containing CR or LF ends just after its last CR/LF (`\s*[\r\n]+`);
    /// 6–7. otherwise as GPT-2: a run followed by a non-space gives back its last scalar.
    static func scanLlama3(_ s: UnsafeBufferPointer<UInt32>, _ k: UnsafeBufferPointer<UInt8>,
                           _ lo: Int, _ hi: Int, maxDigits: Int, _ ends: inout [Int32]) {
        var i = lo
        while i < hi {
            let c = s[i]
            let cls = k[i]
            if c == ASCII.apostrophe && i + 1 < hi {
                // `| 0x20` lowercases ASCII letters and maps no other scalar onto s, t, m, d, r, v, e, l.
                let n1 = s[i + 1] | 0x20
                if n1 == ASCII.s || n1 == ASCII.t || n1 == ASCII.m || n1 == ASCII.d {
                    i += 2
                    ends.append(Int32(i))
                    continue
                }
                if i + 2 < hi {
                    let n2 = s[i + 2] | 0x20
                    if (n1 == ASCII.r && n2 == ASCII.e) || (n1 == ASCII.v && n2 == ASCII.e)
                        || (n1 == ASCII.l && n2 == ASCII.l) {
                        i += 3
                        ends.append(Int32(i))
                        continue
                    }
                }
            }
            if cls == ScalarClass.letter
                || (c != ASCII.cr && c != ASCII.lf && cls != ScalarClass.number
                    && i + 1 < hi && k[i + 1] == ScalarClass.letter) {
                var j = i + 1
                while j < hi && k[j] == ScalarClass.letter { j += 1 }
                i = j
            } else if cls == ScalarClass.number {
                var j = i + 1
                while j < hi && j - i < maxDigits && k[j] == ScalarClass.number { j += 1 }
                i = j
            } else if cls == ScalarClass.other
                || (c == ASCII.space && i + 1 < hi && k[i + 1] == ScalarClass.other) {
                var j = i + 1
                while j < hi && k[j] == ScalarClass.other { j += 1 }
                while j < hi && (s[j] == ASCII.cr || s[j] == ASCII.lf) { j += 1 }
                i = j
            } else {
                // c is whitespace here: every other class was taken above.
                var j = i
                var lastNewline = -1
                while j < hi && k[j] == ScalarClass.whitespace {
                    if s[j] == ASCII.cr || s[j] == ASCII.lf { lastNewline = j }
                    j += 1
                }
                if lastNewline >= 0 {
                    j = lastNewline + 1
                } else if j < hi && j - i > 1 {
                    j -= 1
                }
                i = j
            }
            ends.append(Int32(i))
        }
    }
}
