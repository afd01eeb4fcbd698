/// 64-bit FNV-1a (Fowler–Noll–Vo) hashing: one xor and one multiply per byte. Used for the
/// tokenizer fingerprint and for the byte-string lookup table; stable across runs and platforms,
/// unlike `Hasher`.
struct FNV1a {
    static let offsetBasis: UInt64 = 0xcbf2_9ce4_8422_2325
    static let prime: UInt64 = 0x0000_0100_0000_01b3

    private(set) var value: UInt64 = FNV1a.offsetBasis

    @inline(__always)
    mutating func combine(_ byte: UInt8) {
        value = (value ^ UInt64(byte)) &* FNV1a.prime
    }

    mutating func combine(_ bytes: some Sequence<UInt8>) {
        for b in bytes { combine(b) }
    }

    @inline(__always)
    static func hash(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var h = offsetBasis
        for b in bytes { h = (h ^ UInt64(b)) &* prime }
        return h
    }
}
