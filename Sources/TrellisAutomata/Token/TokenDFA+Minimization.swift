extension TokenDFA {
    /// Distinct successor lists per state as CSR (offsets stateCount+1, targets).
    func successors() -> (offsets: [Int], targets: [Int32]) {
        var offsets = [0]
        var targets: [Int32] = []
        var seen = [Int32](repeating: -1, count: stateCount)
        for s in 0..<stateCount {
            for c in 0..<classCount {
                let n = transitions[s * classCount + c]
                if n >= 0 && seen[Int(n)] != Int32(s) {
                    seen[Int(n)] = Int32(s)
                    targets.append(n)
                }
            }
            offsets.append(targets.count)
        }
        return (offsets, targets)
    }

    /// Distinct predecessor lists per state as CSR.
    func predecessors() -> (offsets: [Int], sources: [Int32]) {
        let (so, st) = successors()
        var counts = [Int](repeating: 0, count: stateCount + 1)
        for t in st { counts[Int(t) + 1] += 1 }
        for i in 0..<stateCount { counts[i + 1] += counts[i] }
        var fill = counts
        var sources = [Int32](repeating: 0, count: st.count)
        for s in 0..<stateCount {
            for i in so[s]..<so[s + 1] {
                let t = Int(st[i])
                sources[fill[t]] = Int32(s)
                fill[t] += 1
            }
        }
        return (counts, sources)
    }

    /// States that are reachable from the start and can reach acceptance.
    public func usefulStates() -> [Bool] {
        var reachable = [Bool](repeating: false, count: stateCount)
        var coReachable = [Bool](repeating: false, count: stateCount)
        guard start >= 0 else { return reachable }
        let (so, st) = successors()
        var queue: [Int32] = [start]
        reachable[Int(start)] = true
        var k = 0
        while k < queue.count {
            let s = Int(queue[k]); k += 1
            for i in so[s]..<so[s + 1] where !reachable[Int(st[i])] {
                reachable[Int(st[i])] = true
                queue.append(st[i])
            }
        }
        let (po, ps) = predecessors()
        queue = (0..<stateCount).filter { accepting[$0] }.map { Int32($0) }
        for s in queue { coReachable[Int(s)] = true }
        k = 0
        while k < queue.count {
            let s = Int(queue[k]); k += 1
            for i in po[s]..<po[s + 1] where !coReachable[Int(ps[i])] {
                coReachable[Int(ps[i])] = true
                queue.append(ps[i])
            }
        }
        return (0..<stateCount).map { reachable[$0] && coReachable[$0] }
    }

    /// The minimal DFA of the same language: dead and unreachable states removed (their
    /// transitions become -1), equivalent states merged by Moore's partition refinement
    /// (Moore 1956; O(rounds × states × classes), rounds <= states), states renumbered in
    /// breadth-first order from the start, and token classes with identical columns merged.
    public func minimized() -> TokenDFA {
        let useful = usefulStates()
        guard start >= 0, useful[Int(start)] else {
            return TokenDFA(vocabularySize: vocabularySize, classCount: 1,
                            tokenClass: [Int32](repeating: 0, count: vocabularySize), stateCount: 0,
                            start: -1, transitions: [], accepting: [])
        }
        @inline(__always) func target(_ s: Int, _ c: Int) -> Int32 {
            let n = transitions[s * classCount + c]
            return n >= 0 && useful[Int(n)] ? n : -1
        }
        let initial = (0..<stateCount).map { useful[$0] ? (accepting[$0] ? Int32(1) : Int32(0)) : Int32(-1) }
        let (block, blockCount) = MoorePartition.refine(stateCount: stateCount, symbolCount: classCount,
                                                        initial: initial, target: target)
        // One representative per block, blocks renumbered in BFS order from the start.
        var representative = [Int](repeating: -1, count: blockCount)
        for s in 0..<stateCount where useful[s] && representative[Int(block[s])] < 0 {
            representative[Int(block[s])] = s
        }
        var order = [Int32](repeating: -1, count: blockCount)
        var queue: [Int32] = [block[Int(start)]]
        order[Int(block[Int(start)])] = 0
        var k = 0
        while k < queue.count {
            let s = representative[Int(queue[k])]; k += 1
            for c in 0..<classCount {
                let n = target(s, c)
                if n >= 0 && order[Int(block[Int(n)])] < 0 {
                    order[Int(block[Int(n)])] = Int32(queue.count)
                    queue.append(block[Int(n)])
                }
            }
        }
        let newStateCount = queue.count
        // Columns per class over new states; identical columns merge.
        var classIDs: [[Int32]: Int32] = [:]
        var classMap = [Int32](repeating: 0, count: classCount)
        var columns: [[Int32]] = []
        for c in 0..<classCount {
            var column = [Int32](repeating: -1, count: newStateCount)
            for (i, b) in queue.enumerated() {
                let n = target(representative[Int(b)], c)
                column[i] = n < 0 ? -1 : order[Int(block[Int(n)])]
            }
            if let id = classIDs[column] { classMap[c] = id } else {
                let id = Int32(columns.count)
                classIDs[column] = id
                columns.append(column)
                classMap[c] = id
            }
        }
        let newClassCount = columns.count
        var newTransitions = [Int32](repeating: -1, count: newStateCount * newClassCount)
        for (c, column) in columns.enumerated() {
            for s in 0..<newStateCount { newTransitions[s * newClassCount + c] = column[s] }
        }
        let newAccepting = queue.map { accepting[representative[Int($0)]] }
        return TokenDFA(vocabularySize: vocabularySize, classCount: newClassCount,
                        tokenClass: tokenClass.map { classMap[Int($0)] }, stateCount: newStateCount,
                        start: 0, transitions: newTransitions, accepting: newAccepting)
    }

    /// For each state, the fewest tokens after which the DFA can accept (0 for accepting
    /// states, `Int32.max` when acceptance is unreachable). Breadth-first search backwards from
    /// the accepting states, O(states × classes).
    public func distanceToAcceptance() -> [Int32] {
        var dist = [Int32](repeating: .max, count: stateCount)
        let (po, ps) = predecessors()
        var queue: [Int32] = []
        for s in 0..<stateCount where accepting[s] {
            dist[s] = 0
            queue.append(Int32(s))
        }
        var k = 0
        while k < queue.count {
            let s = Int(queue[k]); k += 1
            for i in po[s]..<po[s + 1] where dist[Int(ps[i])] == .max {
                dist[Int(ps[i])] = dist[s] + 1
                queue.append(ps[i])
            }
        }
        return dist
    }
}
