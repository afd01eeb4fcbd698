/// The flat byte layout of an FM-index, shared by the builder, the writer and the loader, so an
/// index in memory and one mapped from disk are the same bytes.
///
/// ```
/// offset 0   header (128 bytes, little-endian):
///            magic "TRELFMIX" | version u32 | header size u32 | text length u64 | token count u64
///            | passage count u64 | code count u64 | level count u64 | sample rate u64
///            | sample count u64 | wavelet words u64 | wavelet superblocks u64
///            | checksum u64 (of everything after the header) | zero padding
/// then, each section starting 8-aligned:
///   codeToToken  Int32[codeCount - 2]                 token id of code c+2 (codes 0, 1: terminator, separator)
///   cArray       Int32[codeCount + 1]                 C[c] = text symbols smaller than c
///   wmWords      UInt64[waveletWords]                 Huffman-shaped wavelet matrix bits, level after level
///   wmSuper      UInt32[waveletSuperblocks]           rank superblocks, level after level
///   markStarts   UInt32[markBuckets + 1]              sampled rows: members before each 256-row bucket
///   markOffsets  UInt8[sampleCount]                   sampled rows modulo 256, ascending per bucket
///   samples      UInt64[sampleWords]                  SA value / sampleRate of each sampled row, in row
///                                                     order, bit-packed at sampleWidth bits
///   separators   Int32[passageCount]                  text position of each passage's separator
/// ```
/// The wavelet matrix's shape (codes, level lengths, zero counts) is not stored: it follows from
/// the C array's symbol frequencies and is derived again on open (`WaveletMatrixShape`).
/// Version 1 (plain wavelet matrix, ceil(log2 σ) full-length levels, sampled rows as a bit vector,
/// Int32 samples) is refused with a "rebuild" error.
struct FMIndexLayout: Equatable {
    static let magic: [UInt8] = Array("TRELFMIX".utf8)
    static let version = 2
    static let headerSize = 128
    static let fieldCount = 9
    static let checksumOffset = 16 + 8 * fieldCount

    var textLength: Int
    var tokenCount: Int
    var passageCount: Int
    var codeCount: Int
    var levelCount: Int
    var sampleRate: Int
    var sampleCount: Int
    /// Words and superblocks of all wavelet matrix levels (`WaveletMatrixShape` sizes).
    var waveletWords: Int
    var waveletSuperblocks: Int

    /// Sampled text positions are multiples of the rate, so samples store position / rate.
    var sampleWidth: Int { PackedIntegers.width(forMax: (textLength - 1) / sampleRate) }
    var sampleWords: Int { PackedIntegers.wordCount(count: sampleCount, width: sampleWidth) }
    var markBuckets: Int { SampledRows.bucketCount(rows: textLength) }

    struct Offsets {
        var codeToToken = 0, cArray = 0, wmWords = 0, wmSuper = 0
        var markStarts = 0, markOffsets = 0, samples = 0, separators = 0, total = 0
    }

    var offsets: Offsets {
        var o = Offsets()
        var at = Self.headerSize
        func take(_ bytes: Int) -> Int { let start = at; at = (at + bytes + 7) & ~7; return start }
        o.codeToToken = take(4 * (codeCount - 2))
        o.cArray = take(4 * (codeCount + 1))
        o.wmWords = take(8 * waveletWords)
        o.wmSuper = take(4 * waveletSuperblocks)
        o.markStarts = take(4 * (markBuckets + 1))
        o.markOffsets = take(sampleCount)
        o.samples = take(8 * sampleWords)
        o.separators = take(4 * passageCount)
        o.total = at
        return o
    }

    func writeHeader(to base: UnsafeMutableRawPointer, checksum: UInt64) {
        for (i, b) in Self.magic.enumerated() { base.storeBytes(of: b, toByteOffset: i, as: UInt8.self) }
        base.storeBytes(of: UInt32(Self.version).littleEndian, toByteOffset: 8, as: UInt32.self)
        base.storeBytes(of: UInt32(Self.headerSize).littleEndian, toByteOffset: 12, as: UInt32.self)
        let fields = [textLength, tokenCount, passageCount, codeCount, levelCount, sampleRate, sampleCount,
                      waveletWords, waveletSuperblocks]
        for (i, f) in fields.enumerated() {
            base.storeBytes(of: UInt64(f).littleEndian, toByteOffset: 16 + 8 * i, as: UInt64.self)
        }
        base.storeBytes(of: checksum.littleEndian, toByteOffset: Self.checksumOffset, as: UInt64.self)
    }

    /// Parses and sanity-checks the header; sizes are bounded so the offset arithmetic cannot overflow.
    static func readHeader(_ bytes: UnsafeRawBufferPointer, path: String) throws -> (FMIndexLayout, checksum: UInt64) {
        guard bytes.count >= headerSize else {
            throw FMIndexError.truncated(path: path, expectedBytes: headerSize, actualBytes: bytes.count)
        }
        guard Array(bytes[0..<8]) == magic else { throw FMIndexError.badMagic(path: path) }
        let version = Int(UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 8, as: UInt32.self)))
        guard version == Self.version else {
            throw FMIndexError.unsupportedVersion(path: path, found: version, supported: Self.version)
        }
        let declaredHeaderSize = Int(UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 12, as: UInt32.self)))
        guard declaredHeaderSize == headerSize else {
            throw FMIndexError.corrupt(path: path, reason: "header size \(declaredHeaderSize), expected \(headerSize)")
        }
        func field(_ i: Int) -> UInt64 { UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: 16 + 8 * i, as: UInt64.self)) }
        // Counts of positions fit Int32; wavelet words (< 64 levels of them) stay far below 2^40.
        for i in 0..<fieldCount {
            let limit: UInt64 = i < 7 ? UInt64(Int32.max) : 1 << 40
            if field(i) > limit {
                throw FMIndexError.corrupt(path: path, reason: "header field \(i) is \(field(i)), over \(limit)")
            }
        }
        let layout = FMIndexLayout(textLength: Int(field(0)), tokenCount: Int(field(1)), passageCount: Int(field(2)),
                                   codeCount: Int(field(3)), levelCount: Int(field(4)), sampleRate: Int(field(5)),
                                   sampleCount: Int(field(6)), waveletWords: Int(field(7)),
                                   waveletSuperblocks: Int(field(8)))
        let checksum = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: checksumOffset, as: UInt64.self))
        func bad(_ why: String) -> FMIndexError { .corrupt(path: path, reason: why) }
        guard bytes[(checksumOffset + 8)..<headerSize].allSatisfy({ $0 == 0 }) else { throw bad("nonzero header padding") }
        guard layout.textLength >= 1 else { throw bad("empty text") }
        guard layout.textLength == layout.tokenCount + layout.passageCount + 1 else {
            throw bad("text length \(layout.textLength) != tokens + passages + 1")
        }
        guard layout.codeCount >= 2, layout.codeCount - 2 <= layout.tokenCount else { throw bad("code count \(layout.codeCount)") }
        // Code lengths are capped at 32; the exact count is checked against the shape derived
        // from the C array once that is read.
        guard layout.levelCount <= 32 else { throw bad("level count \(layout.levelCount)") }
        guard layout.sampleRate >= 1, layout.sampleRate <= 65536 else { throw bad("sample rate \(layout.sampleRate)") }
        guard layout.sampleCount == (layout.textLength + layout.sampleRate - 1) / layout.sampleRate else {
            throw bad("sample count \(layout.sampleCount)")
        }
        return (layout, checksum)
    }

    /// A 64-bit multiply-xorshift hash over the 8-byte words after the header (catches bit rot and
    /// truncation-by-zeroing; not cryptographic).
    static func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        var h: UInt64 = 0x9E37_79B9_7F4A_7C15
        let words = (bytes.count - headerSize) / 8
        let base = bytes.baseAddress! + headerSize
        for i in 0..<words {
            h = (h ^ base.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self)) &* 0xBF58_476D_1CE4_E5B9
            h ^= h >> 31
        }
        return h
    }
}
