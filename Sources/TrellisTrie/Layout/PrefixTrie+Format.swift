import TrellisCore

/// The 64-byte header of a trie file (little-endian), followed by the four arrays of
/// `PrefixTrie` in order, each 4-byte aligned:
///
///     0   8  magic "TRLSTRIE"
///     8   4  format version (1)
///     12  4  header size in bytes (64)
///     16  8  node count N (≥ 1)
///     24  8  payload count P
///     32  8  distinct sequence count
///     40  8  token count (of the distinct sequences)
///     48  4  max depth
///     52  4  reserved (0)
///     56  8  checksum of header bytes 0..<56 and the body (`PrefixTrie.checksum(of:)`)
///     64     childStart[N+1] · edgeToken[N-1] · payloadStart[N+1] · payload[P]
struct PrefixTrieHeader: Equatable {
    static let magic: [UInt8] = Array("TRLSTRIE".utf8)
    static let version: UInt32 = 1
    static let size = 64

    var nodeCount: Int
    var payloadCount: Int
    var sequenceCount: Int
    var tokenCount: Int
    var maxDepth: Int
    var checksum: UInt64

    /// Byte offsets of the four arrays and the total size.
    static func sections(nodeCount n: Int, payloadCount p: Int)
        -> (childStart: Int, edgeToken: Int, payloadStart: Int, payload: Int, end: Int)
    {
        let childStart = size
        let edgeToken = childStart + 4 * (n + 1)
        let payloadStart = edgeToken + 4 * (n - 1)
        let payload = payloadStart + 4 * (n + 1)
        return (childStart, edgeToken, payloadStart, payload, payload + 4 * p)
    }

    func write(to base: UnsafeMutableRawPointer) {
        for (i, byte) in Self.magic.enumerated() { base.storeBytes(of: byte, toByteOffset: i, as: UInt8.self) }
        base.storeBytes(of: Self.version.littleEndian, toByteOffset: 8, as: UInt32.self)
        base.storeBytes(of: UInt32(Self.size).littleEndian, toByteOffset: 12, as: UInt32.self)
        base.storeBytes(of: UInt64(nodeCount).littleEndian, toByteOffset: 16, as: UInt64.self)
        base.storeBytes(of: UInt64(payloadCount).littleEndian, toByteOffset: 24, as: UInt64.self)
        base.storeBytes(of: UInt64(sequenceCount).littleEndian, toByteOffset: 32, as: UInt64.self)
        base.storeBytes(of: UInt64(tokenCount).littleEndian, toByteOffset: 40, as: UInt64.self)
        base.storeBytes(of: UInt32(maxDepth).littleEndian, toByteOffset: 48, as: UInt32.self)
        base.storeBytes(of: UInt32(0), toByteOffset: 52, as: UInt32.self)
        base.storeBytes(of: checksum.littleEndian, toByteOffset: 56, as: UInt64.self)
    }

    /// Reads and checks the header against the byte count; never reads past `bytes`.
    static func read(_ bytes: UnsafeRawBufferPointer, origin: String) throws -> PrefixTrieHeader {
        guard bytes.count >= magic.count else {
            throw TrieError.truncated(path: origin, expectedBytes: size, actualBytes: bytes.count)
        }
        guard Array(bytes[0..<magic.count]) == magic else { throw TrieError.notATrie(path: origin) }
        guard bytes.count >= size else {
            throw TrieError.truncated(path: origin, expectedBytes: size, actualBytes: bytes.count)
        }
        func u32(_ o: Int) -> UInt32 { UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: o, as: UInt32.self)) }
        func u64(_ o: Int) -> UInt64 { UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: o, as: UInt64.self)) }
        let version = u32(8)
        guard version == Self.version else {
            throw TrieError.unsupportedVersion(path: origin, version: version, supported: Self.version)
        }
        guard u32(12) == UInt32(size) else {
            throw TrieError.corrupt(path: origin, reason: "header size \(u32(12)), expected \(size)")
        }
        // Counts are bounded by the 32-bit offsets before any arithmetic on them.
        let limit = UInt64(UInt32.max)
        let n = u64(16), p = u64(24), sequences = u64(32), tokens = u64(40)
        guard n >= 1, n < limit, p < limit, sequences <= n, tokens <= UInt64(Int.max) else {
            throw TrieError.corrupt(path: origin, reason: "implausible counts: nodes \(n), payloads \(p), sequences \(sequences)")
        }
        let header = PrefixTrieHeader(nodeCount: Int(n), payloadCount: Int(p), sequenceCount: Int(sequences),
                                      tokenCount: Int(tokens), maxDepth: Int(u32(48)), checksum: u64(56))
        let expected = sections(nodeCount: header.nodeCount, payloadCount: header.payloadCount).end
        guard bytes.count == expected else {
            throw TrieError.truncated(path: origin, expectedBytes: expected, actualBytes: bytes.count)
        }
        return header
    }
}

/// An owned, 16-byte aligned byte buffer for tries built in memory.
final class TrieBuffer {
    let pointer: UnsafeMutableRawPointer
    let count: Int
    init(count: Int) {
        self.count = count
        pointer = .allocate(byteCount: max(count, 16), alignment: 16)
        pointer.initializeMemory(as: UInt8.self, repeating: 0, count: max(count, 16))
    }
    deinit { pointer.deallocate() }
    var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: pointer, count: count) }
}

extension PrefixTrie {
    /// How much of a trie file `PrefixTrie(path:)` checks before use.
    public enum Validation: Sendable {
        /// Header, size, checksum of the body and the full structure (one linear pass each).
        case full
        /// Header, size and the structure, no checksum (a flipped token id goes unnoticed;
        /// a broken offset is still caught, so traversal stays in bounds).
        case structure
    }

    /// Opens a trie file memory-mapped; pages load on first touch. Throws `TrieError` for a
    /// truncated, damaged or foreign file and `TrellisError.io` when it cannot be read.
    public convenience init(path: String, validation: Validation = .full) throws {
        #if _endian(big)
        throw TrieError.corrupt(path: path, reason: "big-endian hosts are not supported")
        #else
        let file = try MappedFile(path: path)
        try self.init(owner: file, validating: file.bytes, origin: path, validation: validation)
        #endif
    }

    /// A trie over serialized bytes (as `serialized()` returns), copied into an aligned buffer.
    public convenience init(serialized data: [UInt8], validation: Validation = .full) throws {
        let buffer = TrieBuffer(count: data.count)
        data.withUnsafeBytes { if let src = $0.baseAddress { buffer.pointer.copyMemory(from: src, byteCount: data.count) } }
        try self.init(owner: buffer, validating: buffer.bytes, origin: "<memory>", validation: validation)
    }

    convenience init(owner: AnyObject, validating bytes: UnsafeRawBufferPointer, origin: String,
                     validation: Validation) throws {
        let header = try PrefixTrieHeader.read(bytes, origin: origin)
        guard let base = bytes.baseAddress, Int(bitPattern: base) % 4 == 0 else {
            throw TrieError.corrupt(path: origin, reason: "buffer not 4-byte aligned")
        }
        if validation == .full {
            let computed = Self.checksum(of: bytes)
            guard computed == header.checksum else {
                throw TrieError.checksumMismatch(path: origin, stored: header.checksum, computed: computed)
            }
        }
        self.init(owner: owner, bytes: bytes, header: header, origin: origin)
        try validate()
    }

    /// Checks every invariant that traversal relies on, in one linear pass: offsets start at 0,
    /// never decrease and end at the counts; node v's first edge is ≥ v (breadth-first order, so
    /// child ids exceed parent ids and there are no cycles); tokens are non-negative and strictly
    /// increasing within a node; payloads strictly increase within a node; every leaf but an
    /// empty root holds a payload (so a cursor never reaches a dead end).
    public func validate() throws {
        let n = nodeCount, edges = n - 1
        func fail(_ reason: String) -> TrieError { .corrupt(path: origin, reason: reason) }
        guard childStart[0] == 0, Int(childStart[n]) == edges else {
            throw fail("child offsets run from \(childStart[0]) to \(childStart[n]), expected 0 to \(edges)")
        }
        guard payloadStart[0] == 0, Int(payloadStart[n]) == payloadCount else {
            throw fail("payload offsets run from \(payloadStart[0]) to \(payloadStart[n]), expected 0 to \(payloadCount)")
        }
        var terminals = 0
        for v in 0..<n {
            let a = Int(childStart[v]), b = Int(childStart[v + 1])
            let pa = Int(payloadStart[v]), pb = Int(payloadStart[v + 1])
            guard a <= b, b <= edges, pa <= pb, pb <= payloadCount else { throw fail("offsets of node \(v) decrease or overflow") }
            guard a >= v || a == b else { throw fail("children of node \(v) precede it (not breadth-first)") }
            if a == b && pa == pb && v != 0 { throw fail("leaf node \(v) holds no payload") }
            if pa < pb { terminals += 1 }
            var previous: Int64 = -1
            for e in a..<b {
                let t = Int64(edgeToken[e])
                guard t > previous else { throw fail("children of node \(v) are not strictly increasing non-negative tokens") }
                previous = t
            }
            var previousPayload: Int64 = -1
            for i in pa..<pb {
                let p = Int64(payloadValues[i])
                guard p > previousPayload else { throw fail("payloads of node \(v) are not strictly increasing") }
                previousPayload = p
            }
        }
        guard terminals == sequenceCount else {
            throw fail("\(terminals) terminal nodes, header says \(sequenceCount) sequences")
        }
        // Depths level by level: the children of nodes lo..<hi are nodes childStart[lo]+1 ..< childStart[hi]+1.
        var lo = 0, hi = 1, depth = 0, tokens = 0, deepest = 0
        while lo < hi {
            let terminalsHere = (lo..<hi).reduce(0) { $0 + (payloadStart[$1] != payloadStart[$1 + 1] ? 1 : 0) }
            tokens += terminalsHere * depth
            if terminalsHere > 0 { deepest = depth }
            // Breadth-first: the next level starts right after this one (also ensures progress).
            guard Int(childStart[lo]) + 1 == hi else { throw fail("level \(depth + 1) does not follow level \(depth)") }
            (lo, hi) = (hi, Int(childStart[hi]) + 1)
            depth += 1
        }
        guard tokens == tokenCount, deepest == maxDepth else {
            throw fail("stored sequences hold \(tokens) tokens up to depth \(deepest), header says \(tokenCount) and \(maxDepth)")
        }
    }

    /// The checksum stored in a trie's header: over the header's first 56 bytes (everything but
    /// the checksum itself) and the body.
    static func checksum(of file: UnsafeRawBufferPointer) -> UInt64 {
        let head = checksum(UnsafeRawBufferPointer(rebasing: file[0..<56]))
        let body = checksum(UnsafeRawBufferPointer(rebasing: file[PrefixTrieHeader.size...]))
        return (head &* 0x9E37_79B1_85EB_CA87) ^ body
    }

    /// A 64-bit checksum of `bytes` (four independent multiply-rotate lanes over 8-byte words,
    /// then the tail), fast enough to verify a 100 MB trie while it is being paged in.
    /// Not cryptographic: it catches damage, not forgery.
    static func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        let prime: UInt64 = 0x9E37_79B1_85EB_CA87
        var h0: UInt64 = 0x243F_6A88_85A3_08D3, h1: UInt64 = 0x1319_8A2E_0370_7344
        var h2: UInt64 = 0xA409_3822_299F_31D0, h3: UInt64 = 0x082E_FA98_EC4E_6C89
        @inline(__always) func mix(_ h: UInt64, _ w: UInt64) -> UInt64 {
            let x = (h ^ w) &* prime
            return (x << 31) | (x >> 33)
        }
        var i = 0
        let count = bytes.count
        if let base = bytes.baseAddress {
            while i + 32 <= count {
                h0 = mix(h0, base.loadUnaligned(fromByteOffset: i, as: UInt64.self))
                h1 = mix(h1, base.loadUnaligned(fromByteOffset: i + 8, as: UInt64.self))
                h2 = mix(h2, base.loadUnaligned(fromByteOffset: i + 16, as: UInt64.self))
                h3 = mix(h3, base.loadUnaligned(fromByteOffset: i + 24, as: UInt64.self))
                i += 32
            }
            while i < count {
                h0 = mix(h0, UInt64(base.load(fromByteOffset: i, as: UInt8.self)) | 0x100)
                i += 1
            }
        }
        var h = mix(mix(mix(mix(UInt64(count), h0), h1), h2), h3)
        h ^= h >> 29
        h = h &* prime
        return h ^ (h >> 32)
    }
}
