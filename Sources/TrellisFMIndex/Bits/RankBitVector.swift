/// A read-only view of a bit vector with constant-time rank: 64-bit words plus one UInt32
/// cumulative count of ones per 1024-bit superblock (3.1 % overhead). rank1 counts from the
/// nearer end of its superblock (the table has an entry past the last block), so it costs one
/// table read and at most eight popcounts, as a 512-bit table counting forward would, in half
/// the space. Bits past `count` are zero.
///
/// The view does not own its memory: it points into an `FMIndex`'s flat storage (owned or
/// memory-mapped), which outlives it.
struct RankBitVector {
    static let wordsPerBlock = 16

    let words: UnsafePointer<UInt64>
    /// `superblocks[b]` = ones in words `0..<b*8`; there are `blockCount(bits) + 1` entries.
    let superblocks: UnsafePointer<UInt32>
    let count: Int

    /// Words stored for `bits` bits: padded to whole superblocks so popcount loops need no bounds.
    static func wordCount(bits: Int) -> Int { blockCount(bits: bits) * wordsPerBlock }
    static func blockCount(bits: Int) -> Int { (bits + 1023) >> 10 }
    static func superblockCount(bits: Int) -> Int { blockCount(bits: bits) + 1 }

    /// Ones in positions `0..<i`, for `0 <= i <= count`.
    @inline(__always)
    func rank1(_ i: Int) -> Int {
        assert(i >= 0 && i <= count)
        let wordIndex = i >> 6
        let block = i >> 10
        let below: UInt64 = (1 << UInt64(i & 63)) &- 1
        if i & 1023 < 512 {
            // Forward from this superblock's count (i at a block end reads no word past it).
            var ones = Int(superblocks[block])
            var w = block << 4
            while w < wordIndex { ones &+= words[w].nonzeroBitCount; w &+= 1 }
            if i & 63 != 0 { ones &+= (words[wordIndex] & below).nonzeroBitCount }
            return ones
        }
        // Backward from the next superblock's count: subtract the ones at or after i.
        var ones = Int(superblocks[block &+ 1]) &- (words[wordIndex] & ~below).nonzeroBitCount
        var w = wordIndex &+ 1
        let end = (block &+ 1) << 4
        while w < end { ones &-= words[w].nonzeroBitCount; w &+= 1 }
        return ones
    }

    @inline(__always)
    func bit(_ i: Int) -> Bool {
        assert(i >= 0 && i < count)
        return (words[i >> 6] >> UInt64(i & 63)) & 1 == 1
    }

    /// Fills the superblock table for bits already written into `words`.
    static func buildSuperblocks(words: UnsafeMutablePointer<UInt64>, bits: Int,
                                 superblocks: UnsafeMutablePointer<UInt32>) {
        var ones: UInt32 = 0
        for b in 0..<blockCount(bits: bits) {
            superblocks[b] = ones
            for w in 0..<wordsPerBlock { ones &+= UInt32(words[b * wordsPerBlock + w].nonzeroBitCount) }
        }
        superblocks[blockCount(bits: bits)] = ones
    }

    /// Whether the superblock table matches the words and no bit past `count` is set (load-time
    /// validation, so corrupted files cannot produce out-of-range ranks).
    func isConsistent() -> Bool {
        var ones: UInt32 = 0
        let blocks = Self.blockCount(bits: count)
        for b in 0..<blocks {
            if superblocks[b] != ones { return false }
            for w in 0..<Self.wordsPerBlock { ones &+= UInt32(words[b * Self.wordsPerBlock + w].nonzeroBitCount) }
        }
        if superblocks[blocks] != ones { return false }
        let wordsUsed = (count + 63) >> 6
        if count & 63 != 0 && words[wordsUsed - 1] >> UInt64(count & 63) != 0 { return false }
        for w in wordsUsed..<Self.wordCount(bits: count) where words[w] != 0 { return false }
        return true
    }
}
