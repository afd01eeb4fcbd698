/// The raw bytes of every token, frozen into one contiguous blob with an offset table, plus an
/// open-addressing hash index from a byte string to the token that spells it.
///
/// Layout: token t's bytes are `bytes[offsets[t] ..< offsets[t+1]]` (`offsets` has count+1
/// entries). `slots` has a power-of-two length of at least twice the number of indexed tokens;
/// slot = FNV-1a(bytes) & mask, linear probing, -1 marks an empty slot.
/// Lookup is O(length) expected; the table takes 4·(count+1) + 4·slots + total-bytes bytes.
struct TokenByteTable: Sendable {
    let bytes: [UInt8]
    let offsets: [UInt32]
    private let slots: [Int32]
    private let mask: Int

    /// `tokenBytes[t]` are the bytes of token t; only tokens with `indexed[t]` are findable by
    /// `lookup`. When two indexed tokens have the same bytes, the higher id wins (as in
    /// llama.cpp's `token_to_id`, filled in id order).
    init(tokenBytes: [[UInt8]], indexed: [Bool]) {
        var blob: [UInt8] = []
        blob.reserveCapacity(tokenBytes.reduce(0) { $0 + $1.count })
        var offsets: [UInt32] = [0]
        offsets.reserveCapacity(tokenBytes.count + 1)
        for b in tokenBytes {
            blob.append(contentsOf: b)
            offsets.append(UInt32(blob.count))
        }
        let indexedCount = indexed.lazy.filter { $0 }.count
        var capacity = 16
        while capacity < indexedCount * 2 { capacity <<= 1 }
        var slots = [Int32](repeating: -1, count: capacity)
        let mask = capacity - 1
        blob.withUnsafeBufferPointer { all in
            for t in tokenBytes.indices where indexed[t] {
                let piece = UnsafeBufferPointer(rebasing: all[Int(offsets[t])..<Int(offsets[t + 1])])
                var slot = Int(truncatingIfNeeded: FNV1a.hash(piece)) & mask
                while slots[slot] >= 0 && !Self.equal(all, offsets, Int(slots[slot]), piece) {
                    slot = (slot + 1) & mask
                }
                slots[slot] = Int32(t)
            }
        }
        self.bytes = blob
        self.offsets = offsets
        self.slots = slots
        self.mask = mask
    }

    var count: Int { offsets.count - 1 }

    @inline(__always)
    func range(of token: Int) -> Range<Int> { Int(offsets[token])..<Int(offsets[token + 1]) }

    /// The indexed token whose bytes are exactly `piece`, if any.
    func lookup(_ piece: UnsafeBufferPointer<UInt8>) -> Int32? {
        bytes.withUnsafeBufferPointer { all in
            var slot = Int(truncatingIfNeeded: FNV1a.hash(piece)) & mask
            while true {
                let t = slots[slot]
                if t < 0 { return nil }
                if Self.equal(all, offsets, Int(t), piece) { return t }
                slot = (slot + 1) & mask
            }
        }
    }

    @inline(__always)
    private static func equal(_ all: UnsafeBufferPointer<UInt8>, _ offsets: [UInt32], _ token: Int,
                              _ piece: UnsafeBufferPointer<UInt8>) -> Bool {
        let start = Int(offsets[token]), end = Int(offsets[token + 1])
        guard end - start == piece.count else { return false }
        var i = 0
        while i < piece.count {
            if all[start + i] != piece[i] { return false }
            i += 1
        }
        return true
    }

    var sizeInBytes: Int { bytes.count + offsets.count * 4 + slots.count * 4 }
}
