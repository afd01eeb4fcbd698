/// The ranked BPE merge rules over symbol ids, frozen into a flat open-addressing hash table:
/// key = (left symbol << 32) | right symbol, value = (rank, merged symbol).
///
/// Symbols are vocabulary token ids, plus "virtual" ids at or above the vocabulary size for the
/// rare strings a merge produces (or a byte stands for) that the vocabulary lacks; the merge
/// loop runs entirely on integers, never on strings. Layout: `keys`, `ranks` and `results` are
/// parallel arrays of a power-of-two length (at least twice the rule count); slot =
/// (key · golden-ratio constant) >> shift, linear probing; an empty slot holds `emptyKey`.
/// Lookup is O(1) expected.
struct MergeTable: Sendable {
    static let emptyKey = UInt64.max
    /// Rank returned when a pair has no rule.
    static let noRank = UInt32.max

    private let keys: [UInt64]
    private let ranks: [UInt32]
    private let results: [Int32]
    private let shift: UInt64
    private let mask: Int
    /// Number of rules stored (duplicates of a pair keep their lowest rank).
    let count: Int

    /// `rules[i]` = (left, right, merged) for rank i; rules with a negative symbol are skipped.
    init(rules: [(left: Int32, right: Int32, merged: Int32)]) {
        var capacity = 16, bits: UInt64 = 4
        while capacity < rules.count * 2 { capacity <<= 1; bits += 1 }
        var keys = [UInt64](repeating: Self.emptyKey, count: capacity)
        var ranks = [UInt32](repeating: Self.noRank, count: capacity)
        var results = [Int32](repeating: -1, count: capacity)
        let shift = 64 - bits, mask = capacity - 1
        var stored = 0
        for (rank, rule) in rules.enumerated() where rule.left >= 0 && rule.right >= 0 && rule.merged >= 0 {
            let key = Self.key(rule.left, rule.right)
            var slot = Self.slot(key, shift)
            while keys[slot] != Self.emptyKey && keys[slot] != key { slot = (slot + 1) & mask }
            if keys[slot] == key { continue }  // a repeated pair keeps its first (lowest) rank
            keys[slot] = key
            ranks[slot] = UInt32(rank)
            results[slot] = rule.merged
            stored += 1
        }
        self.keys = keys
        self.ranks = ranks
        self.results = results
        self.shift = shift
        self.mask = mask
        self.count = stored
    }

    @inline(__always)
    static func key(_ left: Int32, _ right: Int32) -> UInt64 {
        UInt64(UInt32(bitPattern: left)) << 32 | UInt64(UInt32(bitPattern: right))
    }

    @inline(__always)
    private static func slot(_ key: UInt64, _ shift: UInt64) -> Int {
        Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> shift)
    }

    /// The rule for `left right`: its rank (or `noRank`) and the merged symbol.
    @inline(__always)
    func lookup(_ left: Int32, _ right: Int32) -> (rank: UInt32, merged: Int32) {
        let key = Self.key(left, right)
        var slot = Self.slot(key, shift)
        return keys.withUnsafeBufferPointer { k in
            while true {
                let stored = k[slot]
                if stored == key { return (ranks[slot], results[slot]) }
                if stored == Self.emptyKey { return (Self.noRank, -1) }
                slot = (slot + 1) & mask
            }
        }
    }

    var sizeInBytes: Int { keys.count * (8 + 4 + 4) }
}
