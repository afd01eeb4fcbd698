extension ByteMatcher {
    /// A matcher for concepts that must occur in the given order: it looks only for concept 0
    /// (any of its alternatives, as whole words, like `phrases`); once that occurrence is
    /// confirmed (the next byte is a non-word byte) it emits bit 0 and looks only for concept 1
    /// from the following byte, and so on. After the last concept it stays in an absorbing node.
    ///
    /// Node = (concept being sought, node of that concept's `phrases` matcher), so the size is the
    /// sum of the per-concept matchers, not their product, and bits are emitted strictly in order,
    /// one per byte: lifted with `.requireAll`, a token DFA accepts exactly the texts in which the
    /// concepts occur in order, each occurrence starting after the previous one ended. O(total
    /// nodes × 256) to build.
    public static func orderedPhrases(_ concepts: [[[UInt8]]]) throws -> ByteMatcher {
        guard concepts.count <= 32 else { throw AutomataError.tooManyConcepts(limit: 32, got: concepts.count) }
        for (i, alternatives) in concepts.enumerated() where alternatives.isEmpty || alternatives.contains(where: \.isEmpty) {
            throw AutomataError.emptyPhrase(concept: i)
        }
        let stages = try concepts.map { try phrases($0, bits: [UInt32](repeating: 1, count: $0.count)) }
        // First node id of each stage; the absorbing "all found" node comes last.
        var base: [Int32] = []
        var total: Int32 = 0
        for stage in stages {
            base.append(total)
            total += Int32(stage.nodeCount)
        }
        let done = total
        let nodeCount = Int(total) + 1
        var next = [Int32](repeating: done, count: nodeCount * 256)
        var emit = [UInt32](repeating: 0, count: nodeCount * 256)
        var endEmit = [UInt32](repeating: 0, count: nodeCount)
        for (k, stage) in stages.enumerated() {
            let bit: UInt32 = 1 << UInt32(k)
            // The byte that confirms concept k is a non-word byte, so concept k+1 starts fresh.
            let after = k + 1 < stages.count ? base[k + 1] + stages[k + 1].start : done
            for n in 0..<stage.nodeCount {
                let id = Int(base[k]) + n
                for b in 0..<256 {
                    let i = n * 256 + b
                    if stage.emit[i] != 0 {
                        next[id * 256 + b] = after
                        emit[id * 256 + b] = bit
                    } else {
                        let target = stage.next[i]
                        next[id * 256 + b] = target < 0 ? -1 : base[k] + target
                    }
                }
                if stage.endEmit[n] != 0 { endEmit[id] = bit }
            }
        }
        return ByteMatcher(nodeCount: nodeCount, start: stages.isEmpty ? done : base[0] + stages[0].start,
                           next: next, emit: emit, endEmit: endEmit,
                           endAllowed: [Bool](repeating: true, count: nodeCount))
    }
}
