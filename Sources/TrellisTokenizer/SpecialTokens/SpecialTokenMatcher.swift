/// Finds special-token strings (control, user-defined and unknown tokens) written in text and
/// cuts the text around them, with llama.cpp's precedence: tokens are taken longest first (ties:
/// lower id first), each claiming its non-overlapping occurrences left to right in the text no
/// longer token has claimed. Control and unknown tokens are matched only when special tokens are
/// parsed; user-defined tokens always are (llama.cpp's `tokenizer_st_partition`).
///
/// Frozen layout: candidate strings in one byte blob sorted by precedence, bucketed by first byte
/// (`bucketStart[b] ..< bucketStart[b+1]` indexes `bucketEntries`). Finding occurrences is one
/// pass over the text probing only the candidates that start with the current byte: O(n) for
/// text without special markers, plus O(m log m) for m occurrences.
struct SpecialTokenMatcher: Sendable {
    /// One piece of text between special tokens, or a special token.
    enum Fragment: Equatable {
        case text(Range<Int>)
        case token(Int32)
    }

    private let blob: [UInt8]
    /// Entry e's string is `blob[offsets[e] ..< offsets[e+1]]`; entries in precedence order.
    private let offsets: [Int32]
    private let ids: [Int32]
    /// Whether entry e is matched only with `parseSpecial`.
    private let needsParseSpecial: [Bool]
    private let bucketStart: [Int32]
    private let bucketEntries: [Int32]

    /// - Parameter candidates: (token id, its text bytes, whether it needs `parseSpecial`).
    init(candidates: [(id: Int32, bytes: [UInt8], needsParseSpecial: Bool)]) {
        let sorted = candidates.filter { !$0.bytes.isEmpty }.sorted {
            $0.bytes.count != $1.bytes.count ? $0.bytes.count > $1.bytes.count : $0.id < $1.id
        }
        var blob: [UInt8] = [], offsets: [Int32] = [0]
        for c in sorted {
            blob.append(contentsOf: c.bytes)
            offsets.append(Int32(blob.count))
        }
        var buckets = [[Int32]](repeating: [], count: 256)
        for (e, c) in sorted.enumerated() { buckets[Int(c.bytes[0])].append(Int32(e)) }
        var bucketStart: [Int32] = [0], bucketEntries: [Int32] = []
        for b in buckets {
            bucketEntries.append(contentsOf: b)
            bucketStart.append(Int32(bucketEntries.count))
        }
        self.blob = blob
        self.offsets = offsets
        self.ids = sorted.map(\.id)
        self.needsParseSpecial = sorted.map(\.needsParseSpecial)
        self.bucketStart = bucketStart
        self.bucketEntries = bucketEntries
    }

    var isEmpty: Bool { ids.isEmpty }
    var count: Int { ids.count }

    /// Cuts `text` into fragments in order. Text fragments are never empty.
    func fragments(_ text: UnsafeBufferPointer<UInt8>, parseSpecial: Bool) -> [Fragment] {
        let n = text.count
        // Occurrences packed as (entry << 32 | start): sorting them orders by precedence, then position.
        var occurrences: [UInt64] = []
        if !ids.isEmpty {
            blob.withUnsafeBufferPointer { blob in
                for p in 0..<n {
                    let b = Int(text[p])
                    var q = Int(bucketStart[b])
                    let qEnd = Int(bucketStart[b + 1])
                    while q < qEnd {
                        let e = Int(bucketEntries[q])
                        q += 1
                        if !parseSpecial && needsParseSpecial[e] { continue }
                        let start = Int(offsets[e]), length = Int(offsets[e + 1]) - start
                        if length > n - p { continue }
                        var same = true
                        var i = 1
                        while i < length {
                            if blob[start + i] != text[p + i] { same = false; break }
                            i += 1
                        }
                        if same { occurrences.append(UInt64(e) << 32 | UInt64(p)) }
                    }
                }
            }
        }
        if occurrences.isEmpty { return n == 0 ? [] : [.text(0..<n)] }
        occurrences.sort()
        var claimed = [Bool](repeating: false, count: n)
        var accepted: [(start: Int, end: Int, id: Int32)] = []
        for occurrence in occurrences {
            let e = Int(occurrence >> 32), start = Int(occurrence & 0xFFFF_FFFF)
            let end = start + Int(offsets[e + 1] - offsets[e])
            if claimed[start..<end].contains(true) { continue }
            for i in start..<end { claimed[i] = true }
            accepted.append((start, end, ids[e]))
        }
        accepted.sort { $0.start < $1.start }
        var out: [Fragment] = []
        var cursor = 0
        for a in accepted {
            if a.start > cursor { out.append(.text(cursor..<a.start)) }
            out.append(.token(a.id))
            cursor = a.end
        }
        if cursor < n { out.append(.text(cursor..<n)) }
        return out
    }

    var sizeInBytes: Int {
        blob.count + offsets.count * 4 + ids.count * 5 + bucketStart.count * 4 + bucketEntries.count * 4
    }
}
