import TrellisCore

/// An FM-index over the token ids of a passage corpus (P. Ferragina, G. Manzini, "Opportunistic
/// Data Structures with Applications", FOCS 2000), arranged for SEAL-style n-gram decoding
/// (M. Bevilacqua et al., "Autoregressive Search Engines", NeurIPS 2022).
///
/// Text: every passage's tokens *reversed*, each followed by a separator, then a terminator, so
/// backward search — which prepends a symbol per step — extends an n-gram left to right, and no
/// n-gram crosses a passage boundary. Tokens are remapped to dense codes (2…; 0 = terminator,
/// 1 = separator). The BWT is held in a wavelet matrix (ceil(log2 σ) levels with rank
/// superblocks); a text-position-sampled suffix array (every `sampleRate`-th position) serves
/// locate. Costs: extending a cursor by one token O(log σ); continuations of a range O(k log σ)
/// for k distinct next tokens; locating one occurrence O(sampleRate · log σ).
/// Size ≈ n·(levels/8)·1.0625 + n/8·1.0625 + 4n/sampleRate bytes for n text positions.
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
    let sampleMarks: RankBitVector
    let samples: UnsafePointer<Int32>
    let separators: UnsafeBufferPointer<Int32>
    /// Derived at open time (σ Int32), not stored: where each code's run ends up in the matrix.
    private let bottomStart: UnsafeMutablePointer<Int32>

    /// Passages indexed (including empty ones).
    public var passageCount: Int { layout.passageCount }
    /// Corpus tokens (all passages), the denominator of SEAL's P(n) = count / tokenCount.
    public var tokenCount: Int { layout.tokenCount }
    /// Distinct token ids in the corpus.
    public var distinctTokenCount: Int { layout.codeCount - 2 }
    /// Suffix array sampling step used by locate.
    public var sampleRate: Int { layout.sampleRate }
    /// Bytes of the flat index (what `write(to:)` stores and a load maps), plus the σ-entry
    /// table derived at open time.
    public var sizeInBytes: Int { bytes.count + 4 * layout.codeCount }
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
        samples = ptr(o.samples, Int32.self)
        separators = UnsafeBufferPointer(start: ptr(o.separators, Int32.self), count: layout.passageCount)
        bottomStart = .allocate(capacity: layout.codeCount)
        bottomStart.initialize(repeating: 0, count: layout.codeCount)
        wavelet = WaveletMatrix(length: layout.textLength, levelCount: layout.levelCount,
                                wordsPerLevel: layout.wordsPerLevel, superblocksPerLevel: layout.superPerLevel,
                                words: ptr(o.wmWords, UInt64.self), superblocks: ptr(o.wmSuper, UInt32.self),
                                zeros: ptr(o.zeros, Int32.self), bottomStart: UnsafePointer(bottomStart))
        sampleMarks = RankBitVector(words: ptr(o.markWords, UInt64.self), superblocks: ptr(o.markSuper, UInt32.self),
                                    count: layout.textLength)
        if !trusted { try validateStructure(path: path) }
        // rank_c(0) = 0, so descending from 0 along c's bits lands on c's run start.
        for c in 0..<layout.codeCount { bottomStart[c] = Int32(wavelet.descend(code: c, from: 0)) }
        if !trusted { try validateCounts(path: path) }
    }

    deinit { bottomStart.deallocate() }

    /// Checks every invariant that memory safety of queries depends on (ranks in range, sorted
    /// tables, samples inside the text), in one sequential pass.
    private func validateStructure(path: String) throws {
        func bad(_ why: String) -> FMIndexError { .corrupt(path: path, reason: why) }
        let n = layout.textLength
        for i in 0..<codeToToken.count {
            if codeToToken[i] < 0 || (i > 0 && codeToToken[i] <= codeToToken[i - 1]) { throw bad("token table not ascending at \(i)") }
        }
        guard cArray[0] == 0, cArray[1] == 1, Int(cArray[2]) == 1 + layout.passageCount,
              Int(cArray[layout.codeCount]) == n else { throw bad("C array ends") }
        for c in 0..<layout.codeCount where cArray[c + 1] < cArray[c] { throw bad("C array not monotone at \(c)") }
        for l in 0..<layout.levelCount {
            let level = wavelet.level(l)
            guard level.isConsistent() else { throw bad("rank table of level \(l)") }
            guard Int(wavelet.zeros[l]) == n - level.rank1(n) else { throw bad("zero count of level \(l)") }
        }
        guard sampleMarks.isConsistent(), sampleMarks.rank1(n) == layout.sampleCount else { throw bad("sample marks") }
        for i in 0..<layout.sampleCount where samples[i] < 0 || Int(samples[i]) >= n { throw bad("sample \(i) outside text") }
        for k in 0..<separators.count {
            let s = Int(separators[k])
            if s < 0 || s >= n - 1 || (k > 0 && separators[k] <= separators[k - 1]) { throw bad("separator \(k)") }
        }
    }

    /// Each code's occurrences in the BWT must equal its C-array bucket, so LF stays inside the text.
    private func validateCounts(path: String) throws {
        let n = layout.textLength
        for c in 0..<layout.codeCount {
            let occurrences = wavelet.rank(code: c, n)
            if occurrences != Int(cArray[c + 1] - cArray[c]) {
                throw FMIndexError.corrupt(path: path, reason: "code \(c) occurs \(occurrences) times, C says \(cArray[c + 1] - cArray[c])")
            }
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
