import TrellisCore

/// An FM-index over the token ids of a passage corpus (P. Ferragina, G. Manzini, "Opportunistic
/// Data Structures with Applications", FOCS 2000), arranged for SEAL-style n-gram decoding
/// (M. Bevilacqua et al., "Autoregressive Search Engines", NeurIPS 2022).
///
/// Text: every passage's tokens *reversed*, each followed by a separator, then a terminator, so
/// backward search — which prepends a symbol per step — extends an n-gram left to right, and no
/// n-gram crosses a passage boundary. Tokens are remapped to dense codes (2…; 0 = terminator,
/// 1 = separator). The BWT is held in a Huffman-shaped wavelet matrix (code lengths from the
/// symbol frequencies, so about H0 + 1 bits per position, with rank superblocks); a
/// text-position-sampled suffix array (every `sampleRate`-th position, stored as position / rate
/// bit-packed, the sampled rows as 256-row buckets of byte offsets) serves locate. Costs, with
/// |c| the code length of token c (≈ H0 + 1 bits on average): extending a cursor by c O(|c|);
/// continuations of a range O(k · |c|) for k distinct next tokens plus sorting them; locating
/// one occurrence O(sampleRate · |c|). Size ≈ n·(H0 + 1)/8·1.0625 + n/64 + n(1 + log2(n/s)/8)/s
/// bytes for n text positions and sample rate s, plus ≈ 13 bytes per distinct token of derived
/// tables.
///
/// Build it with `init(passages:sampleRate:)` or `init(tokens:passageEnds:sampleRate:)`, save with
/// `write(to:)`, reopen memory-mapped with `init(contentsOf:)`. Immutable after construction,
/// hence Sendable; the flat storage is owned memory or a `MappedFile`.
public final class FMIndex: @unchecked Sendable {
    /// Keeps the bytes alive: an `OwnedBytes` after a build, a `MappedFile` after a load.
    private let owner: AnyObject
    let bytes: UnsafeRawBufferPointer
    let layout: FMIndexLayout
    let codeToToken: UnsafeBufferPointer<Int32>
    let cArray: UnsafePointer<Int32>
    let wavelet: WaveletMatrix
    /// Derived at open time from the C array (not stored); keeps the wavelet view's tables alive.
    private let shape: WaveletMatrixShape
    let sampledRows: SampledRows
    let samples: PackedIntegers
    let separators: UnsafeBufferPointer<Int32>

    /// Passages indexed (including empty ones).
    public var passageCount: Int { layout.passageCount }
    /// Corpus tokens (all passages), the denominator of SEAL's P(n) = count / tokenCount.
    public var tokenCount: Int { layout.tokenCount }
    /// Distinct token ids in the corpus.
    public var distinctTokenCount: Int { layout.codeCount - 2 }
    /// Suffix array sampling step used by locate.
    public var sampleRate: Int { layout.sampleRate }
    /// Bytes of the flat index (what `write(to:)` stores and a load maps), plus the wavelet
    /// matrix tables derived at open time (≈ 13 bytes per distinct token).
    public var sizeInBytes: Int { bytes.count + shape.derivedBytes }
    /// The token ids that occur, ascending.
    public var vocabulary: [TokenID] { Array(codeToToken) }

    init(bytes: UnsafeRawBufferPointer, owner: AnyObject, path: String, trusted: Bool) throws {
        let (layout, storedChecksum) = try FMIndexLayout.readHeader(bytes, path: path)
        let o = layout.offsets
        guard bytes.count == o.total else {
            throw FMIndexError.truncated(path: path, expectedBytes: o.total, actualBytes: bytes.count)
        }
        if !trusted && FMIndexLayout.checksum(bytes) != storedChecksum {
            throw FMIndexError.checksumMismatch(path: path)
        }
        self.owner = owner
        self.bytes = bytes
        self.layout = layout
        let base = bytes.baseAddress!
        func ptr<T>(_ offset: Int, _ type: T.Type) -> UnsafePointer<T> {
            (base + offset).assumingMemoryBound(to: type)
        }
        codeToToken = UnsafeBufferPointer(start: ptr(o.codeToToken, Int32.self), count: layout.codeCount - 2)
        cArray = ptr(o.cArray, Int32.self)
        samples = PackedIntegers(words: ptr(o.samples, UInt64.self), width: layout.sampleWidth, count: layout.sampleCount)
        separators = UnsafeBufferPointer(start: ptr(o.separators, Int32.self), count: layout.passageCount)
        sampledRows = SampledRows(bucketStarts: ptr(o.markStarts, UInt32.self), offsets: ptr(o.markOffsets, UInt8.self),
                                  rowCount: layout.textLength)
        if !trusted { try Self.validateTables(layout: layout, codeToToken: codeToToken, cArray: cArray, path: path) }
        // The shape follows from the symbol frequencies, which the C array holds.
        let counts = cArray
        let frequencies = (0..<layout.codeCount).map { Int(counts[$0 + 1] - counts[$0]) }
        shape = WaveletMatrixShape(frequencies: frequencies)
        guard shape.levelCount == layout.levelCount, shape.wordCount == layout.waveletWords,
              shape.superblockCount == layout.waveletSuperblocks else {
            throw FMIndexError.corrupt(path: path, reason: "wavelet matrix sizes in the header (\(layout.levelCount) levels, "
                + "\(layout.waveletWords) words) differ from those the C array implies (\(shape.levelCount), \(shape.wordCount))")
        }
        wavelet = WaveletMatrix(length: layout.textLength, shape: shape, words: ptr(o.wmWords, UInt64.self),
                                superblocks: ptr(o.wmSuper, UInt32.self))
        if !trusted { try validateStructure(frequencies: frequencies, path: path) }
    }

    /// Checks the token table and the C array, from which the wavelet matrix shape is derived.
    private static func validateTables(layout: FMIndexLayout, codeToToken: UnsafeBufferPointer<Int32>,
                                       cArray: UnsafePointer<Int32>, path: String) throws {
        func bad(_ why: String) -> FMIndexError { .corrupt(path: path, reason: why) }
        for i in 0..<codeToToken.count {
            if codeToToken[i] < 0 || (i > 0 && codeToToken[i] <= codeToToken[i - 1]) { throw bad("token table not ascending at \(i)") }
        }
        guard cArray[0] == 0, cArray[1] == 1, Int(cArray[2]) == 1 + layout.passageCount,
              Int(cArray[layout.codeCount]) == layout.textLength else { throw bad("C array ends") }
        // Every token code occurs (codes are dense over the corpus's tokens).
        for c in 2..<layout.codeCount where cArray[c + 1] <= cArray[c] { throw bad("C array not increasing at \(c)") }
    }

    /// Checks every invariant that memory safety of queries depends on (ranks in range, samples
    /// inside the text), in one sequential pass: each level's rank table, and for every wavelet
    /// tree node the ones in its block of bits — which keeps every rank walk inside its node, and
    /// makes each code's occurrences equal its C-array bucket, so LF stays inside the text.
    private func validateStructure(frequencies: [Int], path: String) throws {
        func bad(_ why: String) -> FMIndexError { .corrupt(path: path, reason: why) }
        let n = layout.textLength
        for l in 0..<layout.levelCount {
            guard wavelet.level(l).isConsistent() else { throw bad("rank table of level \(l)") }
        }
        var mismatch: (depth: Int, start: Int)?
        shape.forEachInternalNode(frequencies: frequencies) { depth, start, length, ones in
            guard mismatch == nil else { return }
            let level = wavelet.level(depth)
            if level.rank1(start + length) - level.rank1(start) != ones { mismatch = (depth, start) }
        }
        if let mismatch { throw bad("wavelet node at level \(mismatch.depth), bit \(mismatch.start): wrong number of ones") }
        if let why = sampledRows.inconsistency(memberCount: layout.sampleCount) { throw bad(why) }
        for i in 0..<layout.sampleCount where samples[i] * layout.sampleRate >= n { throw bad("sample \(i) outside text") }
        for k in 0..<separators.count {
            let s = Int(separators[k])
            if s < 0 || s >= n - 1 || (k > 0 && separators[k] <= separators[k - 1]) { throw bad("separator \(k)") }
        }
    }

    /// Dense code of a token id, or nil when the token never occurs.
    @inline(__always)
    func code(of token: TokenID) -> Int? {
        var lo = 0, hi = codeToToken.count
        while lo < hi {
            let mid = (lo + hi) >> 1
            if codeToToken[mid] < token { lo = mid + 1 } else { hi = mid }
        }
        return lo < codeToToken.count && codeToToken[lo] == token ? lo + 2 : nil
    }
}

/// Owned, 64-byte-aligned raw memory for an index built in this process.
final class OwnedBytes {
    let buffer: UnsafeMutableRawBufferPointer
    init(count: Int) {
        buffer = .allocate(byteCount: max(count, 1), alignment: 64)
        buffer.initializeMemory(as: UInt8.self, repeating: 0)
    }
    deinit { buffer.deallocate() }
}
