/// Optimal prefix-code lengths for symbol frequencies (D. A. Huffman, "A Method for the
/// Construction of Minimum-Redundancy Codes", Proc. IRE 1952), merged with two FIFO queues over
/// the frequency-sorted symbols (van Leeuwen's linear merge), so no heap is needed.
///
/// Only lengths are produced: `WaveletMatrixShape` chooses the code bits itself so that leaves
/// come last on every level of the wavelet matrix. Lengths are capped (32 by default, so codes
/// fit a UInt32): Huffman depths beyond that need Fibonacci-like frequencies, and the rare
/// corpus that has them gets a slightly longer, still complete code. Deterministic: ties break
/// by symbol, so the builder and the loader derive the same shape from the same frequencies.
/// Cost: O(σ log σ) for the sort, O(σ) for the merge and the depths (and the cap).
enum HuffmanCodeLengths {
    /// Length given to symbols that never occur (they get no code).
    static let absent: UInt8 = 0xFF

    /// One length per symbol; `absent` where the frequency is 0. A lone occurring symbol gets
    /// length 0 (the tree is a single leaf). `maxLength` must allow every occurring symbol a code
    /// (2^maxLength >= their number).
    static func compute(frequencies: [Int], maxLength: Int = 32) -> [UInt8] {
        var lengths = [UInt8](repeating: absent, count: frequencies.count)
        var order: [Int32] = []
        order.reserveCapacity(frequencies.count)
        for (symbol, f) in frequencies.enumerated() where f > 0 { order.append(Int32(symbol)) }
        let leafCount = order.count
        guard leafCount > 1 else {
            if leafCount == 1 { lengths[Int(order[0])] = 0 }
            return lengths
        }
        order.sort { (frequencies[Int($0)], $0) < (frequencies[Int($1)], $1) }

        // Nodes 0..<leafCount are the sorted leaves; merged nodes follow in creation order, which
        // is also nondecreasing weight order, so the two queues are two cursors.
        let nodeCount = 2 * leafCount - 1
        var weight = [Int](repeating: 0, count: nodeCount)
        var parent = [Int32](repeating: -1, count: nodeCount)
        for i in 0..<leafCount { weight[i] = frequencies[Int(order[i])] }
        var leafCursor = 0, mergedCursor = leafCount, created = leafCount
        func popLightest() -> Int {
            let takeLeaf = leafCursor < leafCount
                && (mergedCursor == created || weight[leafCursor] <= weight[mergedCursor])
            if takeLeaf { leafCursor += 1; return leafCursor - 1 }
            mergedCursor += 1
            return mergedCursor - 1
        }
        while created < nodeCount {
            let a = popLightest(), b = popLightest()
            weight[created] = weight[a] + weight[b]
            parent[a] = Int32(created)
            parent[b] = Int32(created)
            created += 1
        }
        // A parent is created after its children, so one backward pass assigns depths.
        var depth = [UInt8](repeating: 0, count: nodeCount)
        for node in stride(from: nodeCount - 2, through: 0, by: -1) { depth[node] = depth[Int(parent[node])] + 1 }
        for i in 0..<leafCount { lengths[Int(order[i])] = depth[i] }
        if Int(depth[0..<leafCount].max()!) > maxLength { cap(&lengths, byFrequency: order, at: maxLength) }
        return lengths
    }

    /// Caps every length at `limit` and restores a complete code (Kraft sum exactly 1, which the
    /// leaves-last shape needs). Counting in units of 2^-limit: clamping overfills the sum, so
    /// the least frequent of the deepest codes below the limit are lengthened until it fits;
    /// then the longest codes are shortened while there is room. Every term is a multiple of
    /// the longest code's unit, so shortening one never overshoots. `order` holds the occurring
    /// symbols by ascending frequency.
    private static func cap(_ lengths: inout [UInt8], byFrequency order: [Int32], at limit: Int) {
        // Per length, symbols by descending frequency, so removeLast takes the least frequent.
        var byLength = [[Int32]](repeating: [], count: limit + 1)
        var kraft = 0
        for symbol in order.reversed() {
            let l = min(Int(lengths[Int(symbol)]), limit)
            byLength[l].append(symbol)
            kraft += 1 << (limit - l)
        }
        let full = 1 << limit
        while kraft > full {
            var l = limit - 1
            while byLength[l].isEmpty { l -= 1 }
            byLength[l + 1].append(byLength[l].removeLast())
            kraft -= 1 << (limit - l - 1)
        }
        while kraft < full {
            var l = limit
            while byLength[l].isEmpty { l -= 1 }
            byLength[l - 1].append(byLength[l].removeLast())
            kraft += 1 << (limit - l)
        }
        for (l, symbols) in byLength.enumerated() { for s in symbols { lengths[Int(s)] = UInt8(l) } }
    }
}
