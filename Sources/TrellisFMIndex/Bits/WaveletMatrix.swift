/// A read-only wavelet matrix over a sequence of small integer codes (F. Claude, G. Navarro,
/// "The Wavelet Matrix", SPIRE 2012): one rank bit vector per bit of the code, most significant
/// level first; at each level the sequence is stably partitioned, zeros before ones.
///
/// access, rank and the LF step cost O(levels) ranks; listing the distinct codes of a range with
/// their counts costs O(k log σ) for k distinct codes. Codes come out in ascending order because
/// the traversal visits the 0-branch first, most significant bit first.
/// The view points into storage owned by the `FMIndex`.
struct WaveletMatrix {
    let length: Int
    let levelCount: Int
    let wordsPerLevel: Int
    let superblocksPerLevel: Int
    let words: UnsafePointer<UInt64>
    let superblocks: UnsafePointer<UInt32>
    /// Zeros at each level (= start of the ones in the next level's order).
    let zeros: UnsafePointer<Int32>
    /// `bottomStart[c]`: where code c's run begins after the last level; rank_c(i) = final i − start.
    let bottomStart: UnsafePointer<Int32>

    @inline(__always)
    func level(_ l: Int) -> RankBitVector {
        RankBitVector(words: words + l &* wordsPerLevel, superblocks: superblocks + l &* superblocksPerLevel,
                      count: length)
    }

    /// Position of `i` (a prefix end) after following code's bits through every level.
    @inline(__always)
    func descend(code: Int, from i: Int) -> Int {
        var x = i
        for l in 0..<levelCount {
            let bv = level(l)
            let ones = bv.rank1(x)
            if (code >> (levelCount &- 1 &- l)) & 1 == 1 { x = Int(zeros[l]) &+ ones } else { x = x &- ones }
        }
        return x
    }

    /// Occurrences of `code` in positions `0..<i`.
    @inline(__always)
    func rank(code: Int, _ i: Int) -> Int { descend(code: code, from: i) &- Int(bottomStart[code]) }

    /// rank_code at two prefix ends in one pass over the levels (backward search step).
    @inline(__always)
    func rankPair(code: Int, _ a: Int, _ b: Int) -> (Int, Int) {
        var x = a, y = b
        for l in 0..<levelCount {
            let bv = level(l)
            let onesX = bv.rank1(x), onesY = bv.rank1(y)
            if (code >> (levelCount &- 1 &- l)) & 1 == 1 {
                let z = Int(zeros[l]); x = z &+ onesX; y = z &+ onesY
            } else {
                x = x &- onesX; y = y &- onesY
            }
        }
        let start = Int(bottomStart[code])
        return (x &- start, y &- start)
    }

    /// The code at `i` and its rank there (occurrences before `i`), in one pass.
    @inline(__always)
    func accessAndRank(_ i: Int) -> (code: Int, rank: Int) {
        var x = i
        var code = 0
        for l in 0..<levelCount {
            let bv = level(l)
            let ones = bv.rank1(x)
            if bv.bit(x) {
                code = (code << 1) | 1; x = Int(zeros[l]) &+ ones
            } else {
                code = code << 1; x = x &- ones
            }
        }
        return (code, x &- Int(bottomStart[code]))
    }

    /// Calls `body(code, count)` for every distinct code in positions `a..<b`, codes ascending.
    /// Iterative depth-first traversal; the stack holds at most one pending 1-branch per level.
    @inline(__always)
    func forEachDistinct(_ a: Int, _ b: Int, _ body: (Int, Int) -> Void) {
        guard a < b else { return }
        if levelCount == 0 { body(0, b - a); return }
        // Pending nodes: (level, lo, hi, codePrefix). 64 levels is far beyond any alphabet here.
        withUnsafeTemporaryAllocation(of: (Int, Int, Int, Int).self, capacity: levelCount + 1) { stack in
            var top = 0
            stack[0] = (0, a, b, 0)
            top = 1
            while top > 0 {
                top -= 1
                var (l, lo, hi, prefix) = stack[top]
                // Walk down, always taking the 0-branch first and pushing the 1-branch.
                while true {
                    if l == levelCount { body(prefix, hi &- lo); break }
                    let bv = level(l)
                    let onesLo = bv.rank1(lo), onesHi = bv.rank1(hi)
                    let z = Int(zeros[l])
                    let zeroLo = lo &- onesLo, zeroHi = hi &- onesHi
                    if onesHi > onesLo {
                        stack[top] = (l + 1, z &+ onesLo, z &+ onesHi, (prefix << 1) | 1)
                        top += 1
                    }
                    if zeroHi > zeroLo {
                        lo = zeroLo; hi = zeroHi; prefix = prefix << 1; l += 1
                    } else {
                        break
                    }
                }
            }
        }
    }
}

extension WaveletMatrix {
    /// Levels needed for codes `0..<codeCount` (at least one).
    static func levelCount(codeCount: Int) -> Int {
        var levels = 1
        while (1 << levels) < codeCount { levels += 1 }
        return levels
    }

    /// Writes the levels of `codes` into `words`/`superblocks`/`zeros` (zeroed, sized by the layout).
    /// `codes` is consumed (left permuted); `scratch` has the same length. O(n · levels).
    static func build(codes: UnsafeMutableBufferPointer<Int32>, scratch: UnsafeMutableBufferPointer<Int32>,
                      levelCount: Int, words: UnsafeMutablePointer<UInt64>,
                      superblocks: UnsafeMutablePointer<UInt32>, zeros: UnsafeMutablePointer<Int32>) {
        let n = codes.count
        let wordsPerLevel = RankBitVector.wordCount(bits: n)
        let superPerLevel = RankBitVector.superblockCount(bits: n)
        var current = codes.baseAddress!, next = scratch.baseAddress!
        for l in 0..<levelCount {
            let shift = Int32(levelCount - 1 - l)
            let levelWords = words + l * wordsPerLevel
            var zeroCount = 0
            for i in 0..<n where (current[i] >> shift) & 1 == 0 { zeroCount += 1 }
            var zi = 0, oi = zeroCount
            for i in 0..<n {
                let c = current[i]
                if (c >> shift) & 1 == 1 {
                    levelWords[i >> 6] |= 1 << UInt64(i & 63)
                    next[oi] = c; oi += 1
                } else {
                    next[zi] = c; zi += 1
                }
            }
            zeros[l] = Int32(zeroCount)
            RankBitVector.buildSuperblocks(words: levelWords, bits: n, superblocks: superblocks + l * superPerLevel)
            swap(&current, &next)
        }
    }
}
