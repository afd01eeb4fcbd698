extension WaveletMatrix {
    /// Writes the level bits and rank superblocks of `codes` into `words`/`superblocks` (zeroed,
    /// `shape.wordCount`/`shape.superblockCount` long). The codes' frequencies must be those the
    /// shape was derived from. Level d: emit bit d of each code, then stably partition (zeros
    /// first) into the other buffer; codes whose path ends at the next depth land at the tail and
    /// fall outside the next, shorter level. `codes` is consumed; `scratch` has the same length.
    /// O(Σ f·|code|) time, no allocation.
    static func build(codes: UnsafeMutableBufferPointer<Int32>, scratch: UnsafeMutableBufferPointer<Int32>,
                      shape: WaveletMatrixShape, words: UnsafeMutablePointer<UInt64>,
                      superblocks: UnsafeMutablePointer<UInt32>) {
        let codeBits = shape.codes
        var current = codes.baseAddress!, next = scratch.baseAddress!
        for d in 0..<shape.levelCount {
            let info = shape.levels[d]
            let levelWords = words + info.wordOffset
            var zeroAt = 0, oneAt = info.zeros
            var word: UInt64 = 0
            for i in 0..<info.length {
                let c = current[i]
                let bit = UInt64((codeBits[Int(c)] >> UInt32(d)) & 1)
                word |= bit << UInt64(i & 63)
                if i & 63 == 63 { levelWords[i >> 6] = word; word = 0 }
                // Branch-free stable partition.
                next[bit == 0 ? zeroAt : oneAt] = c
                zeroAt &+= Int(1 &- bit)
                oneAt &+= Int(bit)
            }
            if info.length & 63 != 0 { levelWords[info.length >> 6] = word }
            precondition(zeroAt == info.zeros && oneAt == info.length,
                         "wavelet matrix level \(d): code frequencies differ from the shape's")
            RankBitVector.buildSuperblocks(words: levelWords, bits: info.length,
                                           superblocks: superblocks + info.superblockOffset)
            swap(&current, &next)
        }
    }
}
