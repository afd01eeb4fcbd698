/// Optimal prefix-code lengths for symbol frequencies (D. A. Huffman, "A Method for the
/// Construction of Minimum-Redundancy Codes", Proc. IRE 1952), merged with two FIFO queues over
/// the frequency-sorted symbols (van Leeuwen's linear merge), so no heap is needed.
///
/// Only lengths are produced: `WaveletMatrixShape` chooses the code bits itself so that leaves
/// come last on every level of the wavelet matrix. Deterministic: ties break by symbol, so the
/// builder and the loader derive the same shape from the same frequencies.
/// Cost: O(σ log σ) for the sort, O(σ) for the merge and the depths.
enum HuffmanCodeLengths {
    /// Length given to symbols that never occur (they get no code).
    static let absent: UInt8 = 0xFF

    /// One length per symbol; `absent` where the frequency is 0. A lone occurring symbol gets
    /// length 0 (the tree is a single leaf).
    static func compute(frequencies: [Int]) -> [UInt8] {
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
        return lengths
    }
}
