import TrellisCore

/// Turns a stream of tokens into text as it is generated, emitting only complete UTF-8: bytes of
/// a character split across tokens (an emoji is often 3–4 byte tokens) are held back until the
/// character is complete. Invalid bytes become U+FFFD as soon as they are certainly invalid (the
/// byte that follows cannot continue them), never earlier.
///
/// Holds at most 3 bytes between calls. The concatenation of everything `append` and `finish`
/// return equals `String(decoding: allBytes, as: UTF8.self)` (Unicode's maximal-subpart
/// replacement), because the text is only ever cut in front of a byte that starts a sequence.
/// O(bytes) per call.
public struct StreamingDecoder: Sendable {
    private let tokenizer: any TextTokenizer
    private var pending: [UInt8] = []

    public init(tokenizer: any TextTokenizer) {
        self.tokenizer = tokenizer
    }

    /// Bytes held back as the start of an incomplete character.
    public var pendingByteCount: Int { pending.count }

    /// Adds one token; returns the text it completes (often empty for control tokens and for the
    /// leading bytes of a multi-byte character).
    public mutating func append(_ token: TokenID) -> String {
        append(bytes: tokenizer.tokenBytes(token))
    }

    /// Adds raw bytes; returns the text they complete.
    public mutating func append(bytes: some Sequence<UInt8>) -> String {
        pending.append(contentsOf: bytes)
        let cut = Self.incompleteTailStart(pending)
        if cut == 0 { return "" }
        let text = String(decoding: pending[0..<cut], as: UTF8.self)
        pending.removeFirst(cut)
        return text
    }

    /// Ends the stream: a held incomplete character becomes U+FFFD.
    public mutating func finish() -> String {
        defer { pending.removeAll() }
        return String(decoding: pending, as: UTF8.self)
    }

    /// Where a trailing proper prefix of a well-formed UTF-8 sequence starts, or `bytes.count`
    /// when the bytes do not end inside one.
    static func incompleteTailStart(_ bytes: [UInt8]) -> Int {
        let n = bytes.count
        guard n > 0 else { return 0 }
        // The lead byte of a tail is at most 3 bytes from the end.
        var p = n - 1
        while p > 0 && n - p < 4 && bytes[p] & 0xC0 == 0x80 { p -= 1 }
        let lead = bytes[p]
        let needed: Int
        switch lead {
        case 0xC2...0xDF: needed = 2
        case 0xE0...0xEF: needed = 3
        case 0xF0...0xF4: needed = 4
        default: return n  // ASCII, a stray continuation byte, or a byte never valid in UTF-8
        }
        let have = n - p
        guard have < needed else { return n }
        if have >= 2 {
            let second = bytes[p + 1]
            let valid: ClosedRange<UInt8>
            switch lead {
            case 0xE0: valid = 0xA0...0xBF  // no overlong 3-byte forms
            case 0xED: valid = 0x80...0x9F  // no surrogates
            case 0xF0: valid = 0x90...0xBF  // no overlong 4-byte forms
            case 0xF4: valid = 0x80...0x8F  // nothing above U+10FFFF
            default: valid = 0x80...0xBF
            }
            guard valid.contains(second) else { return n }
        }
        // A third byte, if present, is a continuation byte: the walk above stopped past it.
        return p
    }
}
