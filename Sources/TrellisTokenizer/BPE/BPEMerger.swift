/// Byte-pair encoding of one pre-token word (Sennrich et al. 2016, "Neural Machine Translation of
/// Rare Words with Subword Units"; GPT-2's byte-level variant): start from one symbol per byte and
/// repeatedly merge the adjacent pair with the lowest rank, the leftmost one on ties.
///
/// The fast path keeps the symbols in a doubly linked list over byte positions and the candidate
/// pairs in a binary min-heap keyed by (rank << 32 | left position); entries made stale by an
/// earlier merge are skipped when popped. O(n log n) for a word of n bytes, no allocation once
/// the scratch buffers have grown to the longest word. `mergeNaively` is its plain twin
/// (O(n²) rescans), kept for tests.
struct BPEMerger: Sendable {
    let merges: MergeTable
    /// Initial symbol of each byte value.
    let byteSymbols: [Int32]
    /// Symbols below this are vocabulary tokens; the rest are virtual.
    let vocabularySize: Int32

    /// Reusable per-call buffers indexed by byte position within the word (the unsafe handle
    /// of this file: raw buffers grown on demand, freed on deinit, never shared between calls).
    final class Scratch {
        private(set) var capacity = 0
        private(set) var symbol = UnsafeMutablePointer<Int32>.allocate(capacity: 1)
        private(set) var length = UnsafeMutablePointer<Int32>.allocate(capacity: 1)
        private(set) var prev = UnsafeMutablePointer<Int32>.allocate(capacity: 1)
        private(set) var next = UnsafeMutablePointer<Int32>.allocate(capacity: 1)
        /// Binary min-heap of (rank << 32 | left position).
        private(set) var heap = UnsafeMutablePointer<UInt64>.allocate(capacity: 1)

        init() {}

        deinit {
            symbol.deallocate(); length.deallocate(); prev.deallocate(); next.deallocate(); heap.deallocate()
        }

        /// Makes room for a word of `n` bytes (fewer than 3n heap pushes: n-1 initial pairs
        /// plus at most two per merge, and there are at most n-1 merges).
        func reserve(_ n: Int) {
            guard capacity < n else { return }
            let size = max(n, capacity * 2, 64)
            symbol.deallocate(); length.deallocate(); prev.deallocate(); next.deallocate(); heap.deallocate()
            symbol = .allocate(capacity: size)
            length = .allocate(capacity: size)
            prev = .allocate(capacity: size)
            next = .allocate(capacity: size)
            heap = .allocate(capacity: 3 * size)
            capacity = size
        }
    }

    // The heap count lives in a local of `merge`, not in `Scratch`: mutating a class property in
    // the hot loop would pay Swift's dynamic exclusivity check on every push and pop.

    /// Pushes onto the binary min-heap `heap[0..<count]`.
    @inline(__always)
    static func push(_ value: UInt64, _ heap: UnsafeMutablePointer<UInt64>, _ count: inout Int) {
        var i = count
        count += 1
        while i > 0 {
            let parent = (i - 1) >> 1
            if heap[parent] <= value { break }
            heap[i] = heap[parent]
            i = parent
        }
        heap[i] = value
    }

    /// Pops the minimum of the binary min-heap `heap[0..<count]`.
    @inline(__always)
    static func pop(_ heap: UnsafeMutablePointer<UInt64>, _ count: inout Int) -> UInt64? {
        guard count > 0 else { return nil }
        count -= 1
        let top = heap[0]
        let last = heap[count]
        let n = count
        if n == 0 { return top }
        var i = 0
        while true {
            var child = 2 * i + 1
            if child >= n { break }
            if child + 1 < n && heap[child + 1] < heap[child] { child += 1 }
            if heap[child] >= last { break }
            heap[i] = heap[child]
            i = child
        }
        heap[i] = last
        return top
    }

    /// Appends the final symbols of `word` (virtual ones included) to `out`, in order.
    func merge(_ word: UnsafeBufferPointer<UInt8>, scratch: Scratch, into out: inout [Int32]) {
        let n = word.count
        if n == 0 { return }
        if n == 1 { out.append(byteSymbols[Int(word[0])]); return }
        scratch.reserve(n)
        let symbol = scratch.symbol, length = scratch.length, prev = scratch.prev, next = scratch.next
        let heap = scratch.heap
        var heapCount = 0
        byteSymbols.withUnsafeBufferPointer { byteSymbols in
            for p in 0..<n {
                symbol[p] = byteSymbols[Int(word[p])]
                length[p] = 1
                prev[p] = Int32(p - 1)
                next[p] = p + 1 < n ? Int32(p + 1) : -1
            }
        }
        for p in 0..<(n - 1) {
            let rank = merges.lookup(symbol[p], symbol[p + 1]).rank
            if rank != MergeTable.noRank { Self.push(UInt64(rank) << 32 | UInt64(p), heap, &heapCount) }
        }
        while let top = Self.pop(heap, &heapCount) {
            let rank = UInt32(top >> 32), left = Int(top & 0xFFFF_FFFF)
            guard length[left] > 0 else { continue }
            let right = Int(next[left])
            guard right >= 0 else { continue }
            // Stale unless the pair now at `left` is the very rule that was queued (ranks are
            // unique per pair, so an equal rank means the same rule).
            let rule = merges.lookup(symbol[left], symbol[right])
            guard rule.rank == rank else { continue }
            symbol[left] = rule.merged
            length[left] += length[right]
            length[right] = 0
            let after = next[right]
            next[left] = after
            if after >= 0 { prev[Int(after)] = Int32(left) }
            let before = prev[left]
            if before >= 0 {
                let r = merges.lookup(symbol[Int(before)], symbol[left]).rank
                if r != MergeTable.noRank { Self.push(UInt64(r) << 32 | UInt64(before), heap, &heapCount) }
            }
            if after >= 0 {
                let r = merges.lookup(symbol[left], symbol[Int(after)]).rank
                if r != MergeTable.noRank { Self.push(UInt64(r) << 32 | UInt64(left), heap, &heapCount) }
            }
        }
        var p = 0
        while p >= 0 {
            out.append(symbol[p])
            p = Int(next[p])
        }
    }

    /// The plain twin of `merge`: rescans every adjacent pair after each merge.
    func mergeNaively(_ word: [UInt8]) -> [Int32] {
        var symbols = word.map { byteSymbols[Int($0)] }
        while symbols.count > 1 {
            var best = MergeTable.noRank, bestAt = -1, merged: Int32 = -1
            for i in 0..<(symbols.count - 1) {
                let rule = merges.lookup(symbols[i], symbols[i + 1])
                if rule.rank < best { best = rule.rank; bestAt = i; merged = rule.merged }
            }
            if bestAt < 0 { break }
            symbols[bestAt] = merged
            symbols.remove(at: bestAt + 1)
        }
        return symbols
    }
}
