/// A read-only Huffman-shaped wavelet matrix over a sequence of small integer codes (F. Claude,
/// G. Navarro, A. Ordóñez, "The wavelet matrix: An efficient wavelet tree for large alphabets",
/// Information Systems 47, 2015): one rank bit vector per code depth, each level the prefix of the
/// previous level's stable zeros-first partition that still has code bits left (see
/// `WaveletMatrixShape`). Frequent codes have short codes, so the bits total < n(H0 + 1)
/// instead of n·ceil(log2 σ).
///
/// rank, access and the LF step cost one or two ranks per code bit (≈ H0 + 1 on average over the
/// text); listing the k distinct codes of a range with their counts costs O(k · code length)
/// ranks (Gagie, Navarro, Puglisi, "New algorithms on wavelet trees and applications to
/// information retrieval", TCS 2012), in no particular order. A view: the level bits live in the
/// `FMIndex`'s storage and the tables in a `WaveletMatrixShape`, both outliving it.
struct WaveletMatrix {
    let length: Int
    let levelCount: Int
    let levels: UnsafePointer<WaveletMatrixShape.Level>
    let codes: UnsafePointer<UInt32>
    let codeLengths: UnsafePointer<UInt8>
    let runStarts: UnsafePointer<Int32>
    let leafSymbols: UnsafePointer<Int32>
    let words: UnsafePointer<UInt64>
    let superblocks: UnsafePointer<UInt32>

    init(length: Int, shape: WaveletMatrixShape, words: UnsafePointer<UInt64>, superblocks: UnsafePointer<UInt32>) {
        self.length = length
        levelCount = shape.levelCount
        levels = UnsafePointer(shape.levels)
        codes = UnsafePointer(shape.codes)
        codeLengths = UnsafePointer(shape.codeLengths)
        runStarts = UnsafePointer(shape.runStarts)
        leafSymbols = UnsafePointer(shape.leafSymbols)
        self.words = words
        self.superblocks = superblocks
    }

    @inline(__always)
    func level(_ d: Int) -> RankBitVector {
        let info = levels[d]
        return RankBitVector(words: words + info.wordOffset, superblocks: superblocks + info.superblockOffset,
                             count: info.length)
    }

    /// Whether `code` occurs in the sequence (absent codes have no path).
    @inline(__always)
    func occurs(_ code: Int) -> Bool { codeLengths[code] != HuffmanCodeLengths.absent }

    /// Occurrences of `code` in positions `0..<i` (0 for a code that never occurs).
    @inline(__always)
    func rank(code: Int, _ i: Int) -> Int {
        guard occurs(code) else { return 0 }
        let bits = codes[code]
        var x = i
        for d in 0..<Int(codeLengths[code]) {
            let bv = level(d)
            let ones = bv.rank1(x)
            x = (bits >> UInt32(d)) & 1 == 1 ? levels[d].zeros &+ ones : x &- ones
        }
        return x &- Int(runStarts[code])
    }

    /// rank_code at both ends of `a..<b` in one walk (the backward-search step), or nil as soon
    /// as the range holds no `code`. `code` must occur.
    @inline(__always)
    func rankRange(code: Int, _ a: Int, _ b: Int) -> (Int, Int)? {
        let bits = codes[code]
        var x = a, y = b
        for d in 0..<Int(codeLengths[code]) {
            let bv = level(d)
            let onesX = bv.rank1(x), onesY = bv.rank1(y)
            if (bits >> UInt32(d)) & 1 == 1 {
                let z = levels[d].zeros
                x = z &+ onesX; y = z &+ onesY
            } else {
                x = x &- onesX; y = y &- onesY
            }
            if x == y { return nil }
        }
        guard x < y else { return nil }
        let start = Int(runStarts[code])
        return (x &- start, y &- start)
    }

    /// The code at `i` and its rank there (occurrences before `i`), in one walk down to a leaf.
    @inline(__always)
    func accessAndRank(_ i: Int) -> (code: Int, rank: Int) {
        var x = i
        var node = 0
        var d = 0
        while node < levels[d].internalNodes {
            let bv = level(d)
            let ones = bv.rank1(x)
            if bv.bit(x) {
                x = levels[d].zeros &+ ones
                node = levels[d].internalNodes &+ node
            } else {
                x = x &- ones
            }
            d &+= 1
        }
        let code = Int(leafSymbols[levels[d].leafBase &+ node])
        return (code, x &- Int(runStarts[code]))
    }

    /// Calls `body(code, count)` once for every distinct code in positions `a..<b`, in no fixed
    /// order. Iterative depth-first; the stack holds at most one pending node per depth, on the
    /// stack (no heap allocation).
    @inline(__always)
    func forEachDistinct(_ a: Int, _ b: Int, _ body: (Int, Int) -> Void) {
        guard a < b else { return }
        if levels[0].internalNodes == 0 {
            // A single leaf (one distinct code) or no tree.
            if levels[0].leafNodes > 0 { body(Int(leafSymbols[0]), b &- a) }
            return
        }
        // Pending nodes: (depth, node rank, lo, hi).
        withUnsafeTemporaryAllocation(of: (Int, Int, Int, Int).self, capacity: levelCount + 1) { stack in
            stack[0] = (0, 0, a, b)
            var top = 1
            while top > 0 {
                top &-= 1
                var (d, node, lo, hi) = stack[top]
                // Walk down the 0-branch, pushing internal 1-children and reporting leaves.
                while true {
                    let info = levels[d]
                    let bv = level(d)
                    let onesLo = bv.rank1(lo), onesHi = bv.rank1(hi)
                    let child = levels[d &+ 1]
                    let oneLo = info.zeros &+ onesLo, oneHi = info.zeros &+ onesHi
                    if oneHi > oneLo {
                        let oneNode = info.internalNodes &+ node
                        if oneNode >= child.internalNodes {
                            body(Int(leafSymbols[child.leafBase &+ oneNode]), oneHi &- oneLo)
                        } else {
                            stack[top] = (d &+ 1, oneNode, oneLo, oneHi)
                            top &+= 1
                        }
                    }
                    let zeroLo = lo &- onesLo, zeroHi = hi &- onesHi
                    guard zeroHi > zeroLo else { break }
                    if node >= child.internalNodes {
                        body(Int(leafSymbols[child.leafBase &+ node]), zeroHi &- zeroLo)
                        break
                    }
                    d &+= 1; lo = zeroLo; hi = zeroHi
                }
            }
        }
    }
}
