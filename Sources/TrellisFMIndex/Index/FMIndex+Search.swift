import TrellisCore

extension FMIndex {
    /// The cursor of the empty n-gram (all rows).
    public var rootCursor: FMIndexCursor { FMIndexCursor(lowerBound: 0, upperBound: layout.textLength, depth: 0) }

    /// The cursor after appending `token` to the cursor's n-gram, or nil when the longer n-gram
    /// occurs nowhere. One backward-search step: C[c] + rank_c at both ends, O(|code of c|),
    /// stopping early once the range empties.
    @inline(__always)
    public func extend(_ cursor: FMIndexCursor, with token: TokenID) -> FMIndexCursor? {
        guard let c = code(of: token),
              let (lo, hi) = wavelet.rankRange(code: c, cursor.lowerBound, cursor.upperBound) else { return nil }
        let base = Int(cArray[c])
        return FMIndexCursor(lowerBound: base + lo, upperBound: base + hi, depth: cursor.depth + 1)
    }

    /// The cursor of `ngram` searched from the root, or nil when it does not occur.
    public func cursor(for ngram: some Sequence<TokenID>) -> FMIndexCursor? {
        var cur = rootCursor
        for t in ngram {
            guard let next = extend(cur, with: t) else { return nil }
            cur = next
        }
        return cur
    }

    /// Occurrences of the cursor's n-gram; for the root (empty n-gram), the corpus token count.
    public func count(_ cursor: FMIndexCursor) -> Int { cursor.depth == 0 ? tokenCount : cursor.rowCount }

    /// Occurrences of `ngram` inside passages (0 when absent; `tokenCount` for the empty n-gram).
    public func count(_ ngram: [TokenID]) -> Int { cursor(for: ngram).map(count) ?? 0 }

    /// Calls `body(token, count)` for each distinct token that follows the cursor's n-gram in some
    /// passage, tokens ascending, counts summing to the occurrences not at a passage end. At the
    /// root: every corpus token with its frequency, from the C array in O(σ). Otherwise
    /// O(k · code length) ranks, then the k results are put in token order (the Huffman-shaped
    /// matrix lists them in tree order, see `sortByCode`). The scratch buffer lives on the stack
    /// for small ranges (the usual case after a few tokens).
    @inline(__always)
    public func forEachContinuation(_ cursor: FMIndexCursor, _ body: (TokenID, Int) -> Void) {
        let rows = cursor.rowCount
        guard rows > 0 else { return }
        let table = codeToToken
        if rows == layout.textLength {
            // Every row: the BWT holds each text symbol once, so the counts are the C array's
            // buckets, already in token order. O(σ), no rank.
            for c in 2..<layout.codeCount { body(table[c &- 2], Int(cArray[c &+ 1] &- cArray[c])) }
            return
        }
        if rows == 1 {
            // One row, one symbol: no sorting needed.
            wavelet.forEachDistinct(cursor.lowerBound, cursor.upperBound) { c, n in if c >= 2 { body(table[c - 2], n) } }
            return
        }
        withUnsafeTemporaryAllocation(of: UInt64.self, capacity: min(rows, layout.codeCount)) { found in
            var k = 0
            wavelet.forEachDistinct(cursor.lowerBound, cursor.upperBound) { c, n in
                // Codes 0 and 1 (terminator, separator) mean the n-gram ends its passage there.
                guard c >= 2 else { return }
                found[k] = UInt64(truncatingIfNeeded: c) << 32 | UInt64(truncatingIfNeeded: n)
                k &+= 1
            }
            let sorted = UnsafeMutableBufferPointer(rebasing: found[0..<k])
            Self.sortByCode(sorted, codeCount: layout.codeCount)
            for item in sorted { body(table[Int(item >> 32) &- 2], Int(item & 0xFFFF_FFFF)) }
        }
    }

    /// The distinct next tokens with their counts, ascending by token.
    public func continuations(_ cursor: FMIndexCursor) -> [FMIndexContinuation] {
        var out: [FMIndexContinuation] = []
        forEachContinuation(cursor) { out.append(FMIndexContinuation(token: $0, count: $1)) }
        return out
    }

    /// Text position of row `row`'s suffix: LF steps to a sampled row, at most `sampleRate` of them.
    @inline(__always)
    func textPosition(row: Int) -> Int {
        var i = row
        var steps = 0
        while true {
            if let member = sampledRows.memberIndex(ofRow: i) {
                return (samples[member] &* layout.sampleRate &+ steps) % layout.textLength
            }
            let (c, r) = wavelet.accessAndRank(i)
            i = Int(cArray[c]) &+ r
            steps &+= 1
            // Only a corrupted file that passed the checksum could get here; stay in bounds.
            if steps > layout.sampleRate { return 0 }
        }
    }

    /// Up to `limit` occurrences of the cursor's n-gram (rows in suffix order, then sorted by
    /// passage and offset). Empty for the root cursor. O(limit · sampleRate · code length).
    public func locate(_ cursor: FMIndexCursor, limit: Int = .max) -> [FMIndexOccurrence] {
        guard cursor.depth > 0, limit > 0 else { return [] }
        let end = cursor.lowerBound + min(cursor.rowCount, limit)
        var out: [FMIndexOccurrence] = []
        out.reserveCapacity(end - cursor.lowerBound)
        for row in cursor.lowerBound..<end {
            let x = textPosition(row: row)
            let k = passage(containing: x)
            // Reversed passage k ends at its separator s; the n-gram's reversed copy starts at x,
            // so in the original order it starts at s - x - depth.
            out.append(FMIndexOccurrence(passage: k, offset: Int(separators[k]) - x - cursor.depth))
        }
        out.sort()
        return out
    }

    /// Distinct passages among up to `limit` located occurrences, ascending.
    public func passages(_ cursor: FMIndexCursor, limit: Int = .max) -> [Int] {
        var ids = locate(cursor, limit: limit).map(\.passage)
        var w = 0
        for i in 0..<ids.count where i == 0 || ids[i] != ids[i - 1] { ids[w] = ids[i]; w += 1 }
        ids.removeLast(ids.count - w)
        return ids
    }

    /// The passage whose reversed text (or separator) covers text position `x`: the first
    /// separator at or after x, by binary search.
    @inline(__always)
    func passage(containing x: Int) -> Int {
        var lo = 0, hi = separators.count
        while lo < hi {
            let mid = (lo + hi) >> 1
            if Int(separators[mid]) < x { lo = mid + 1 } else { hi = mid }
        }
        return min(lo, max(separators.count - 1, 0))
    }

    /// Corpus frequency of one token.
    public func frequency(of token: TokenID) -> Int {
        guard let c = code(of: token) else { return 0 }
        return Int(cArray[c + 1] - cArray[c])
    }

    /// Sorts packed (code << 32 | count) words by code, in place: insertion sort for a few; a
    /// two-pass LSD radix sort on 11-bit digits for many (codes below 2^22, any real
    /// vocabulary), linear where a comparison sort of the ~10^4 continuations of a single token
    /// would cost as much as listing them; the standard sort otherwise. Codes are distinct.
    @inline(__always)
    static func sortByCode(_ items: UnsafeMutableBufferPointer<UInt64>, codeCount: Int) {
        let k = items.count
        if k <= 32 {
            for i in 1..<max(k, 1) {
                let item = items[i]
                var j = i
                while j > 0 && items[j &- 1] > item { items[j] = items[j &- 1]; j &-= 1 }
                items[j] = item
            }
            return
        }
        guard k >= 512, codeCount <= 1 << 22 else { var all = items; all.sort(); return }
        withUnsafeTemporaryAllocation(of: UInt64.self, capacity: k) { scratch in
            withUnsafeTemporaryAllocation(of: Int.self, capacity: 2048) { counts in
                var source = items, target = scratch
                for shift in [32, 43] as [UInt64] {
                    counts.initialize(repeating: 0)
                    for item in source { counts[Int((item >> shift) & 2047)] &+= 1 }
                    var sum = 0
                    for d in 0..<2048 { let c = counts[d]; counts[d] = sum; sum &+= c }
                    for item in source {
                        let d = Int((item >> shift) & 2047)
                        target[counts[d]] = item
                        counts[d] &+= 1
                    }
                    swap(&source, &target)
                }
                // An even number of passes: the sorted items are back in `items`.
            }
        }
    }
}
