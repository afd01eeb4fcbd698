import TrellisCore

/// Keys and values of every sequence, float32, in fixed pages of `pageSize` positions with
/// reference counts (the paging of vLLM's PagedAttention, Kwon et al., SOSP 2023).
///
/// A page holds all layers for its positions: per layer and KV head, keys transposed
/// [headDim][slot] and values [slot][headDim], so that decode attention vectorizes over
/// positions for q·k and over dimensions for Σ p·v, with no horizontal sums. A sequence is a list of page indices and a
/// length. `fork` copies that list and bumps reference counts: O(pages), no key/value copied.
/// A write never touches a shared page: before appending, a shared partially filled last page
/// is copied (copy-on-write); full pages are never written again. Freed pages go to a free
/// list and are reused, so steady decoding allocates nothing. Not thread-safe: the model
/// mutates it between parallel sections only.
final class PagedKVCache {
    let pageSize: Int
    let layers: Int
    let kvHeads: Int
    let headDim: Int
    /// Floats per page: layers · 2 · kvHeads · pageSize · headDim.
    let pageFloats: Int
    let layerStride: Int
    let valueOffset: Int
    let headStride: Int

    private var pages: [UnsafeMutablePointer<Float>] = []
    private var referenceCounts: [Int32] = []
    private var freePages: [Int32] = []

    struct SequenceState {
        var pages: [Int32]
        var length: Int
    }
    private var sequences: [Int: SequenceState] = [:]
    private var nextSequence = 0

    init(layers: Int, kvHeads: Int, headDim: Int, pageSize: Int) {
        precondition(pageSize > 0 && layers > 0 && kvHeads > 0 && headDim > 0)
        self.pageSize = pageSize
        self.layers = layers
        self.kvHeads = kvHeads
        self.headDim = headDim
        headStride = pageSize * headDim
        valueOffset = kvHeads * headStride
        layerStride = 2 * valueOffset
        pageFloats = layers * layerStride
    }

    deinit {
        for p in pages { p.deallocate() }
    }

    // MARK: sequences

    func makeSequence() -> SequenceID {
        let id = nextSequence
        nextSequence += 1
        sequences[id] = SequenceState(pages: [], length: 0)
        return SequenceID(rawValue: id)
    }

    func fork(_ parent: SequenceID) throws -> SequenceID {
        guard let state = sequences[parent.rawValue] else { throw TrellisError.sequenceUnknown(parent.rawValue) }
        for p in state.pages { referenceCounts[Int(p)] += 1 }
        let id = nextSequence
        nextSequence += 1
        sequences[id] = state
        return SequenceID(rawValue: id)
    }

    func release(_ sequence: SequenceID) {
        guard let state = sequences.removeValue(forKey: sequence.rawValue) else { return }
        for p in state.pages { unreference(p) }
    }

    func length(of sequence: SequenceID) -> Int? { sequences[sequence.rawValue]?.length }

    func contains(_ sequence: SequenceID) -> Bool { sequences[sequence.rawValue] != nil }

    /// Makes room for `count` more positions of `sequence`: copies a shared partial last page,
    /// adds fresh pages, and advances the length. Returns the first new position.
    func append(_ sequence: SequenceID, count: Int) -> Int {
        guard var state = sequences[sequence.rawValue] else { preconditionFailure("unknown \(sequence)") }
        let start = state.length
        if start % pageSize != 0, let last = state.pages.last, referenceCounts[Int(last)] > 1 {
            let copy = allocatePage()
            pages[Int(copy)].update(from: pages[Int(last)], count: pageFloats)
            unreference(last)
            state.pages[state.pages.count - 1] = copy
        }
        let needed = (start + count + pageSize - 1) / pageSize
        while state.pages.count < needed { state.pages.append(allocatePage()) }
        state.length = start + count
        sequences[sequence.rawValue] = state
        return start
    }

    /// Appends the base pointers of `sequence`'s pages, in position order, to `table`.
    func appendPageTable(of sequence: SequenceID, to table: inout [UnsafeMutablePointer<Float>]) {
        guard let state = sequences[sequence.rawValue] else { return }
        for p in state.pages { table.append(pages[Int(p)]) }
    }

    // MARK: addressing inside a page

    /// Keys of `head` at `layer` in a page, transposed: [headDim × pageSize].
    @inline(__always)
    func keys(_ page: UnsafeMutablePointer<Float>, layer: Int, head: Int) -> UnsafeMutablePointer<Float> {
        page + layer * layerStride + head * headStride
    }

    /// Values of `head` at `layer` in a page: [pageSize × headDim].
    @inline(__always)
    func values(_ page: UnsafeMutablePointer<Float>, layer: Int, head: Int) -> UnsafeMutablePointer<Float> {
        page + layer * layerStride + valueOffset + head * headStride
    }

    // MARK: pages

    private func allocatePage() -> Int32 {
        if let p = freePages.popLast() {
            referenceCounts[Int(p)] = 1
            return p
        }
        let p = UnsafeMutablePointer<Float>.allocate(capacity: pageFloats)
        p.initialize(repeating: 0, count: pageFloats)
        pages.append(p)
        referenceCounts.append(1)
        return Int32(pages.count - 1)
    }

    private func unreference(_ p: Int32) {
        referenceCounts[Int(p)] -= 1
        assert(referenceCounts[Int(p)] >= 0)
        if referenceCounts[Int(p)] == 0 { freePages.append(p) }
    }

    // MARK: accounting

    /// Pages referenced by at least one sequence.
    var pagesInUse: Int { pages.count - freePages.count }
    /// Pages ever allocated (in use or on the free list).
    var pagesAllocated: Int { pages.count }
    var bytesAllocated: Int { pages.count * pageFloats * 4 }
    var liveSequences: Int { sequences.count }

    /// Reference counts recomputed from the sequences equal the stored ones (tests).
    func checkInvariants() -> Bool {
        var counts = [Int32](repeating: 0, count: pages.count)
        for state in sequences.values {
            guard state.pages.count == (state.length + pageSize - 1) / pageSize else { return false }
            for p in state.pages { counts[Int(p)] += 1 }
        }
        return counts == referenceCounts && freePages.allSatisfy { referenceCounts[Int($0)] == 0 }
    }
}
