/// The tables of a Huffman-shaped wavelet matrix that follow from the symbol frequencies alone:
/// each symbol's code and length, where its run starts after its last level, the leaves of every
/// depth, and each level's length, zero count and place in the flat bit storage. Derived again
/// when an index is opened (from its C array), so the file stores only the level bits.
///
/// Shape (F. Claude, G. Navarro, A. Ordóñez, "The wavelet matrix: An efficient wavelet tree for
/// large alphabets", Information Systems 47, 2015, §5 Huffman-shaped matrices): code lengths are
/// Huffman's; level d holds bit d of every symbol whose code is longer than d, in the order left
/// by stably partitioning level d−1 (zeros first). In that order the nodes of depth d sit by
/// their rank, where a depth-d internal node of rank r has children of rank r (bit 0) and
/// I_d + r (bit 1), I_d being the number of internal nodes at depth d. Giving the internal nodes
/// the lowest ranks at every depth (leaves last) makes each level a prefix of the previous
/// level's partitioned order, so the plain matrix's rank arithmetic carries over unchanged.
/// Total bits Σ f_c·|code_c| < n(H0 + 1) (code lengths are capped at 32, which only
/// Fibonacci-like frequencies reach); derivation costs O(σ log σ).
///
/// Owns its memory (raw pointers, so query views hold no references); immutable after init.
final class WaveletMatrixShape: @unchecked Sendable {
    /// One depth's facts. Depth `levelCount` has no bits (length 0) but has leaves.
    struct Level {
        /// Bits in this level (positions whose code is longer than the depth).
        var length = 0
        /// Zero bits in this level: where the bit-1 children start in the next order.
        var zeros = 0
        /// Internal nodes at this depth (I_d); they have ranks 0..<I_d.
        var internalNodes = 0
        /// Leaves at this depth; they have ranks I_d..<I_d + leafNodes.
        var leafNodes = 0
        /// `leafSymbols[leafBase + r]` is the leaf of rank r (r >= I_d) at this depth.
        var leafBase = 0
        /// First word and first superblock of this level in the flat storage.
        var wordOffset = 0
        var superblockOffset = 0
    }

    let symbolCount: Int
    /// Longest code length (0 when at most one symbol occurs).
    let levelCount: Int
    /// Words and superblocks over all levels, each level padded as `RankBitVector` requires.
    let wordCount: Int
    let superblockCount: Int
    /// `levelCount + 1` entries.
    let levels: UnsafeMutablePointer<Level>
    /// Per symbol: code bits, bit d used at depth d.
    let codes: UnsafeMutablePointer<UInt32>
    /// Per symbol: code length, `HuffmanCodeLengths.absent` when it does not occur.
    let codeLengths: UnsafeMutablePointer<UInt8>
    /// Per symbol: start of its run in the order after its last level (rank = end − start).
    let runStarts: UnsafeMutablePointer<Int32>
    /// Leaves depth by depth, by rank within a depth (ascending symbol within a depth).
    let leafSymbols: UnsafeMutablePointer<Int32>
    private let leafCount: Int

    /// Bytes of the derived tables, which a loaded index holds beside its mapped file.
    var derivedBytes: Int {
        (levelCount + 1) * MemoryLayout<Level>.stride + symbolCount * (4 + 1 + 4) + leafCount * 4
    }

    /// `maxCodeLength` (at most 32) exists for tests that force the length cap on small inputs.
    init(frequencies: [Int], maxCodeLength: Int = 32) {
        symbolCount = frequencies.count
        let lengths = HuffmanCodeLengths.compute(frequencies: frequencies, maxLength: maxCodeLength)
        var deepest = 0
        var leavesAt: [[Int32]] = [[]]
        for (symbol, l) in lengths.enumerated() where l != HuffmanCodeLengths.absent {
            let d = Int(l)
            deepest = max(deepest, d)
            while leavesAt.count <= d { leavesAt.append([]) }
            leavesAt[d].append(Int32(symbol))
        }
        levelCount = deepest
        let depths = deepest + 1

        // Internal nodes per depth: N_0 = 1 node (if anything occurs), N_{d+1} = 2·I_d.
        var internalCounts = [Int](repeating: 0, count: depths)
        var nodesHere = leavesAt[0].isEmpty && deepest == 0 ? 0 : 1
        for d in 0..<depths {
            internalCounts[d] = nodesHere - leavesAt[d].count
            nodesHere = 2 * internalCounts[d]
        }

        let weights = Self.nodeWeights(internalCounts: internalCounts, leaves: leavesAt, frequencies: frequencies)

        codes = .allocate(capacity: max(symbolCount, 1))
        codes.initialize(repeating: 0, count: max(symbolCount, 1))
        codeLengths = .allocate(capacity: max(symbolCount, 1))
        codeLengths.initialize(repeating: HuffmanCodeLengths.absent, count: max(symbolCount, 1))
        runStarts = .allocate(capacity: max(symbolCount, 1))
        runStarts.initialize(repeating: 0, count: max(symbolCount, 1))
        leafCount = leavesAt.reduce(0) { $0 + $1.count }
        leafSymbols = .allocate(capacity: max(leafCount, 1))
        leafSymbols.initialize(repeating: 0, count: max(leafCount, 1))
        levels = .allocate(capacity: depths)
        levels.initialize(repeating: Level(), count: depths)

        var leafOffset = 0, wordOffset = 0, superOffset = 0
        for d in 0..<depths {
            var level = Level()
            level.internalNodes = internalCounts[d]
            level.leafNodes = leavesAt[d].count
            level.leafBase = leafOffset - internalCounts[d]
            if d < deepest {
                for r in 0..<internalCounts[d] { level.length += weights[d][r]; level.zeros += weights[d + 1][r] }
            }
            level.wordOffset = wordOffset
            level.superblockOffset = superOffset
            if d < deepest {
                wordOffset += RankBitVector.wordCount(bits: level.length)
                superOffset += RankBitVector.superblockCount(bits: level.length)
            }
            // Run starts: a leaf's run begins after the weights of the lower-ranked nodes.
            var start = 0
            for r in 0..<internalCounts[d] { start += weights[d][r] }
            for (k, symbol) in leavesAt[d].enumerated() {
                let s = Int(symbol)
                leafSymbols[leafOffset + k] = symbol
                codeLengths[s] = UInt8(d)
                runStarts[s] = Int32(start)
                start += frequencies[s]
                // Code bits: climb from rank r; a rank at or past the parent depth's I is a bit-1 child.
                var rank = internalCounts[d] + k
                var code: UInt32 = 0
                for j in stride(from: d - 1, through: 0, by: -1) where rank >= internalCounts[j] {
                    code |= 1 << UInt32(j)
                    rank -= internalCounts[j]
                }
                codes[s] = code
            }
            leafOffset += leavesAt[d].count
            levels[d] = level
        }
        wordCount = wordOffset
        superblockCount = superOffset
    }

    deinit {
        codes.deallocate(); codeLengths.deallocate(); runStarts.deallocate()
        leafSymbols.deallocate(); levels.deallocate()
    }

    /// Subtree weights of every node, depth by depth in rank order, bottom-up: node r < I_d has
    /// children r and I_d + r one depth down; leaves weigh their frequency.
    private static func nodeWeights(internalCounts: [Int], leaves: [[Int32]], frequencies: [Int]) -> [[Int]] {
        var weights = [[Int]](repeating: [], count: internalCounts.count)
        for d in stride(from: internalCounts.count - 1, through: 0, by: -1) {
            var w = [Int](repeating: 0, count: internalCounts[d] + leaves[d].count)
            for r in 0..<internalCounts[d] { w[r] = weights[d + 1][r] + weights[d + 1][internalCounts[d] + r] }
            for (k, symbol) in leaves[d].enumerated() { w[internalCounts[d] + k] = frequencies[Int(symbol)] }
            weights[d] = w
        }
        return weights
    }

    /// Calls `body(depth, start, length, ones)` for every internal node: its block of bits in
    /// its level and how many of them must be ones (its bit-1 child's weight). When every node
    /// block holds the right number of ones, every rank walk stays inside its node's block, so
    /// a loaded file that passes this check cannot send a query out of bounds. `frequencies`
    /// must be the ones the shape was derived from. O(σ) plus the calls.
    func forEachInternalNode(frequencies: [Int], _ body: (_ depth: Int, _ start: Int, _ length: Int, _ ones: Int) -> Void) {
        let depths = levelCount + 1
        let internalCounts = (0..<depths).map { levels[$0].internalNodes }
        let leaves = (0..<depths).map { d -> [Int32] in
            let first = levels[d].leafBase + levels[d].internalNodes
            return (0..<levels[d].leafNodes).map { leafSymbols[first + $0] }
        }
        let weights = Self.nodeWeights(internalCounts: internalCounts, leaves: leaves, frequencies: frequencies)
        for d in 0..<levelCount {
            var start = 0
            for r in 0..<internalCounts[d] {
                body(d, start, weights[d][r], weights[d + 1][internalCounts[d] + r])
                start += weights[d][r]
            }
        }
    }
}
