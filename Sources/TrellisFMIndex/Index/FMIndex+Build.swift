import TrellisCore

extension FMIndex {
    /// Builds the index over `passages` (token ids >= 0; empty passages allowed; zero passages give
    /// an index that matches nothing). Time O(n + σ) for SA-IS plus O(n(H0 + 1)) for the Huffman-shaped
    /// wavelet matrix; peak extra memory about 9 bytes per text position plus the index itself.
    public convenience init(passages: [[TokenID]], sampleRate: Int = 32) throws {
        var tokens: [TokenID] = []
        tokens.reserveCapacity(passages.reduce(0) { $0 + $1.count })
        var ends: [Int] = []
        ends.reserveCapacity(passages.count)
        for p in passages { tokens.append(contentsOf: p); ends.append(tokens.count) }
        try self.init(tokens: tokens, passageEnds: ends, sampleRate: sampleRate)
    }

    /// Builds from one flat token array: passage k is `tokens[passageEnds[k-1]..<passageEnds[k]]`
    /// (with passageEnds[-1] = 0); `passageEnds` is nondecreasing and ends at `tokens.count`.
    public convenience init(tokens: [TokenID], passageEnds: [Int], sampleRate: Int = 32) throws {
        guard (1...65536).contains(sampleRate) else { throw FMIndexError.invalidSampleRate(sampleRate) }
        var previous = 0
        for (k, end) in passageEnds.enumerated() {
            guard end >= previous else { throw FMIndexError.invalidPassageEnds("end \(end) of passage \(k) before \(previous)") }
            previous = end
        }
        guard previous == tokens.count else {
            throw FMIndexError.invalidPassageEnds("last end \(previous) != token count \(tokens.count)")
        }
        let n = tokens.count + passageEnds.count + 1
        let limit = Int(Int32.max) - 1
        guard n <= limit else { throw FMIndexError.corpusTooLarge(positions: n, limit: limit) }

        let codes = try Self.denseCodes(tokens: tokens, passageEnds: passageEnds)
        let owned = try tokens.withUnsafeBufferPointer { tokenBuffer in
            try Self.buildBytes(tokens: tokenBuffer, passageEnds: passageEnds, vocabulary: codes,
                                sampleRate: sampleRate)
        }
        try self.init(bytes: UnsafeRawBufferPointer(owned.buffer), owner: owned, path: "<memory>", trusted: true)
    }

    /// Sorted distinct token ids; throws on a negative id, naming its passage and offset.
    private static func denseCodes(tokens: [TokenID], passageEnds: [Int]) throws -> [TokenID] {
        var maxToken: TokenID = -1
        for (i, t) in tokens.enumerated() {
            if t < 0 {
                var k = 0
                while passageEnds[k] <= i { k += 1 }
                let start = k == 0 ? 0 : passageEnds[k - 1]
                throw FMIndexError.negativeToken(passage: k, offset: i - start, token: t)
            }
            if t > maxToken { maxToken = t }
        }
        if maxToken < 0 { return [] }
        if Int(maxToken) < (1 << 24) {
            // Presence table: linear time for ordinary vocabularies.
            var seen = [Bool](repeating: false, count: Int(maxToken) + 1)
            for t in tokens { seen[Int(t)] = true }
            var result: [TokenID] = []
            for (t, s) in seen.enumerated() where s { result.append(TokenID(t)) }
            return result
        }
        return Array(Set(tokens)).sorted()
    }

    /// Text → symbol frequencies → wavelet matrix shape and layout; SA-IS → samples, C, BWT →
    /// wavelet matrix, all written into one flat buffer.
    private static func buildBytes(tokens: UnsafeBufferPointer<TokenID>, passageEnds: [Int],
                                   vocabulary: [TokenID], sampleRate: Int) throws -> OwnedBytes {
        let n = tokens.count + passageEnds.count + 1
        let codeCount = vocabulary.count + 2
        let text = UnsafeMutableBufferPointer<Int32>.allocate(capacity: n)
        let sa = UnsafeMutableBufferPointer<Int32>.allocate(capacity: n)
        defer { text.deallocate(); sa.deallocate() }

        // Code lookup: a direct table when ids are small, binary search otherwise.
        let maxToken = Int(vocabulary.last ?? -1)
        var table = [Int32](repeating: 0, count: maxToken < (1 << 24) ? maxToken + 1 : 0)
        for (i, t) in vocabulary.enumerated() where !table.isEmpty { table[Int(t)] = Int32(i + 2) }
        @inline(__always) func code(_ t: Int32) -> Int32 {
            if !table.isEmpty { return table[Int(t)] }
            var lo = 0, hi = vocabulary.count
            while lo < hi { let mid = (lo + hi) >> 1; if vocabulary[mid] < t { lo = mid + 1 } else { hi = mid } }
            return Int32(lo + 2)
        }

        var separatorPositions = [Int32](repeating: 0, count: passageEnds.count)
        var at = 0, start = 0
        for (k, end) in passageEnds.enumerated() {
            var i = end - 1
            while i >= start { text[at] = code(tokens[i]); at += 1; i -= 1 }
            separatorPositions[k] = Int32(at)
            text[at] = 1; at += 1
            start = end
        }
        text[at] = 0
        precondition(at == n - 1)

        // The BWT permutes the text, so the text's symbol frequencies shape the wavelet matrix.
        var frequencies = [Int](repeating: 0, count: codeCount)
        for i in 0..<n { frequencies[Int(text[i])] += 1 }
        let shape = WaveletMatrixShape(frequencies: frequencies)
        let layout = FMIndexLayout(textLength: n, tokenCount: tokens.count, passageCount: passageEnds.count,
                                   codeCount: codeCount, levelCount: shape.levelCount,
                                   sampleRate: sampleRate, sampleCount: (n + sampleRate - 1) / sampleRate,
                                   waveletWords: shape.wordCount, waveletSuperblocks: shape.superblockCount)
        let o = layout.offsets
        let owned = OwnedBytes(count: o.total)
        let base = owned.buffer.baseAddress!
        func ptr<T>(_ offset: Int, _ type: T.Type) -> UnsafeMutablePointer<T> {
            (base + offset).assumingMemoryBound(to: type)
        }
        let separators = ptr(o.separators, Int32.self)
        for (k, s) in separatorPositions.enumerated() { separators[k] = s }

        SuffixArray.build(text: UnsafeBufferPointer(text), alphabetSize: codeCount, into: sa)

        // C array from symbol counts.
        let cArray = ptr(o.cArray, Int32.self)
        cArray[0] = 0
        for c in 0..<codeCount { cArray[c + 1] = cArray[c] + Int32(frequencies[c]) }
        let codeToToken = ptr(o.codeToToken, Int32.self)
        for (i, t) in vocabulary.enumerated() { codeToToken[i] = t }

        // Samples at text positions divisible by the rate (rows in 256-row buckets, values
        // divided by the rate and bit-packed), then the BWT in place of the SA.
        let markStarts = ptr(o.markStarts, UInt32.self)
        let markOffsets = ptr(o.markOffsets, UInt8.self)
        let samples = ptr(o.samples, UInt64.self)
        let width = layout.sampleWidth
        var sampleIndex = 0
        for i in 0..<n {
            if i & (SampledRows.bucketRows - 1) == 0 { markStarts[i >> SampledRows.bucketShift] = UInt32(sampleIndex) }
            let p = Int(sa[i])
            if p % sampleRate == 0 {
                markOffsets[sampleIndex] = UInt8(truncatingIfNeeded: i)
                PackedIntegers.store(p / sampleRate, at: sampleIndex, width: width, into: samples)
                sampleIndex += 1
            }
            sa[i] = p == 0 ? text[n - 1] : text[p - 1]
        }
        precondition(sampleIndex == layout.sampleCount)
        markStarts[layout.markBuckets] = UInt32(sampleIndex)

        WaveletMatrix.build(codes: sa, scratch: text, shape: shape,
                            words: ptr(o.wmWords, UInt64.self), superblocks: ptr(o.wmSuper, UInt32.self))

        let checksum = FMIndexLayout.checksum(UnsafeRawBufferPointer(owned.buffer))
        layout.writeHeader(to: base, checksum: checksum)
        return owned
    }
}
