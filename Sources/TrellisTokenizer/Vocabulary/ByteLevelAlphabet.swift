/// GPT-2's reversible mapping between the 256 byte values and 256 printable Unicode scalars,
/// which lets a byte-level BPE vocabulary be stored as text (Radford et al. 2019, `bytes_to_unicode`).
///
/// Bytes that are printable Latin-1 (0x21–0x7E, 0xA1–0xAC, 0xAE–0xFF) stand for themselves; the
/// other 68 bytes, in increasing order, take the scalars U+0100, U+0101, ... (so a space, 0x20,
/// is "Ġ" U+0120). Lookups are O(1) table reads.
enum ByteLevelAlphabet {
    /// The scalar value that stands for each byte.
    static let scalarForByte: [UInt32] = {
        var table = [UInt32](repeating: 0, count: 256)
        var next: UInt32 = 256
        for b in 0..<256 {
            if isPrintable(UInt8(b)) {
                table[b] = UInt32(b)
            } else {
                table[b] = next
                next += 1
            }
        }
        return table
    }()

    /// Inverse of `scalarForByte` for scalar values below `byteForScalar.count`; -1 where a
    /// scalar stands for no byte.
    static let byteForScalar: [Int16] = {
        var table = [Int16](repeating: -1, count: 256 + 68)
        for b in 0..<256 { table[Int(scalarForByte[b])] = Int16(b) }
        return table
    }()

    static func isPrintable(_ b: UInt8) -> Bool {
        (0x21...0x7E).contains(b) || (0xA1...0xAC).contains(b) || (0xAE...0xFF).contains(b)
    }

    /// The byte-level text of raw bytes (each byte becomes its stand-in scalar).
    static func encode(_ bytes: some Sequence<UInt8>) -> String {
        var s = String.UnicodeScalarView()
        for b in bytes { s.append(Unicode.Scalar(scalarForByte[Int(b)])!) }
        return String(s)
    }

    /// The raw bytes of byte-level text. A scalar outside the alphabet (which a well-formed
    /// vocabulary never holds) contributes its own UTF-8 bytes, so nothing is lost.
    static func decode(_ text: String) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            let v = Int(scalar.value)
            if v < byteForScalar.count, byteForScalar[v] >= 0 {
                out.append(UInt8(byteForScalar[v]))
            } else {
                out.append(contentsOf: String(scalar).utf8)
            }
        }
        return out
    }
}
