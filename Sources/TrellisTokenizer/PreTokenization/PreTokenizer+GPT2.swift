extension PreTokenizer {
    /// GPT-2: `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`,
    /// matched leftmost-first at each position:
    /// 1. an apostrophe followed by s, t, m, d, or re, ve, ll (lowercase only) is a piece;
    /// 2–4. an optional single U+0020 SPACE, then a maximal run of one class (letters, numbers,
    ///    or "other": neither whitespace nor letter nor number). The space only joins when the
    ///    scalar after it is not whitespace;
    /// 5. a whitespace run followed by a non-space scalar gives back its last scalar
    ///    (`\s+(?!\S)` backtracks one), so that scalar can lead the next word ("a   b" →
    ///    "a", "  ", " b"); a run of one, or one reaching the end of the piece, is taken whole
    ///    (`\s+`).
    static func scanGPT2(_ s: UnsafeBufferPointer<UInt32>, _ k: UnsafeBufferPointer<UInt8>,
                         _ lo: Int, _ hi: Int, _ ends: inout [Int32]) {
        var i = lo
        while i < hi {
            let c = s[i]
            if c == ASCII.apostrophe && i + 1 < hi {
                let n1 = s[i + 1]
                if n1 == ASCII.s || n1 == ASCII.t || n1 == ASCII.m || n1 == ASCII.d {
                    i += 2
                    ends.append(Int32(i))
                    continue
                }
                if i + 2 < hi {
                    let n2 = s[i + 2]
                    if (n1 == ASCII.r && n2 == ASCII.e) || (n1 == ASCII.v && n2 == ASCII.e)
                        || (n1 == ASCII.l && n2 == ASCII.l) {
                        i += 3
                        ends.append(Int32(i))
                        continue
                    }
                }
            }
            var start = i
            if c == ASCII.space && i + 1 < hi && k[i + 1] != ScalarClass.whitespace { start = i + 1 }
            let run = k[start]
            if run != ScalarClass.whitespace {
                var j = start + 1
                while j < hi && k[j] == run { j += 1 }
                i = j
            } else {
                var j = i + 1
                while j < hi && k[j] == ScalarClass.whitespace { j += 1 }
                if j < hi && j - i > 1 { j -= 1 }
                i = j
            }
            ends.append(Int32(i))
        }
    }

    /// SmolLM (StarCoder family): `\p{N}` first — every number scalar becomes its own piece and
    /// the text between them is kept as pieces — then the GPT-2 pattern inside each of those
    /// pieces (so " 12" is " ", "1", "2").
    static func scanDigitsThenGPT2(_ s: UnsafeBufferPointer<UInt32>, _ k: UnsafeBufferPointer<UInt8>,
                                   _ lo: Int, _ hi: Int, _ ends: inout [Int32]) {
        var i = lo
        while i < hi {
            if k[i] == ScalarClass.number {
                i += 1
                ends.append(Int32(i))
                continue
            }
            var j = i + 1
            while j < hi && k[j] != ScalarClass.number { j += 1 }
            scanGPT2(s, k, i, j, &ends)
            i = j
        }
    }
}
