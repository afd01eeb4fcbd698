/// Unsigned integers of one fixed bit width packed low bit first into 64-bit words, plus one
/// spare word so any value is read with two loads and no branch on the word boundary.
/// A view into an `FMIndex`'s storage.
struct PackedIntegers {
    let words: UnsafePointer<UInt64>
    let width: Int
    let count: Int

    /// Bits for values up to `maxValue` (at least 1).
    static func width(forMax maxValue: Int) -> Int { max(1, Int.bitWidth - maxValue.leadingZeroBitCount) }

    static func wordCount(count: Int, width: Int) -> Int { (count * width + 63) / 64 + 1 }

    @inline(__always)
    subscript(i: Int) -> Int {
        let bit = i &* width
        let w = bit >> 6, shift = UInt64(bit & 63)
        // Swift's smart shift makes `<< 64` zero, so shift 0 needs no branch; the spare word
        // keeps the second load in bounds.
        let value = words[w] >> shift | words[w &+ 1] << (64 &- shift)
        return Int(value & ((1 << UInt64(width)) &- 1))
    }

    static func store(_ value: Int, at i: Int, width: Int, into words: UnsafeMutablePointer<UInt64>) {
        let bit = i * width
        let w = bit >> 6, shift = UInt64(bit & 63)
        words[w] |= UInt64(value) << shift
        if shift != 0 && Int(shift) + width > 64 { words[w + 1] |= UInt64(value) >> (64 - shift) }
    }
}
