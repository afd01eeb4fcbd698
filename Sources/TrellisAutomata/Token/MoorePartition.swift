/// Moore's partition refinement (Moore 1956), shared by token and byte automata: states start in
/// the blocks of `initial` (-1 = left out, e.g. useless states) and are split until no two states
/// of a block differ in the blocks their transitions reach. `target(s, x)` is the successor of
/// state s on symbol x (-1 = rejected, or a left-out state). O(rounds × states × symbols),
/// rounds ≤ states. Returns each state's final block (-1 for left-out states) and the block count.
enum MoorePartition {
    static func refine(stateCount: Int, symbolCount: Int, initial: [Int32],
                       target: (Int, Int) -> Int32) -> (block: [Int32], count: Int) {
        var block = initial
        var blockCount = -1
        var signature = [Int32](repeating: 0, count: symbolCount + 1)
        while true {
            var ids: [[Int32]: Int32] = [:]
            var refined = [Int32](repeating: -1, count: stateCount)
            for s in 0..<stateCount where block[s] >= 0 {
                signature[0] = block[s]
                for x in 0..<symbolCount {
                    let t = target(s, x)
                    signature[x + 1] = t < 0 ? -1 : block[Int(t)]
                }
                if let id = ids[signature] { refined[s] = id } else {
                    let id = Int32(ids.count)
                    ids[signature] = id
                    refined[s] = id
                }
            }
            block = refined
            if ids.count == blockCount { return (block, blockCount) }
            blockCount = ids.count
        }
    }
}
