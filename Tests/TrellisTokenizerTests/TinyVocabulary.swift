import TrellisCore
import TrellisTokenizer

/// Builds small byte-level BPE tokenizers for tests: special tokens first (ids 0...), then the
/// 256 single-byte tokens in byte order, then one token per merge result in merge order, then
/// `extraWords`. Merges and words are given as plain text; they are stored byte-level ("Ġ").
struct TinyVocabulary {
    var specials: [(text: String, type: TokenType)] = []
    var merges: [(String, String)] = []
    var extraWords: [String] = []
    /// Merge results to leave out of the vocabulary (to exercise virtual symbols).
    var omittedResults: Set<String> = []
    /// Bytes whose single-byte token is left out of the vocabulary.
    var omittedBytes: Set<UInt8> = []

    static func byteLevel(_ text: String) -> String {
        let table = byteLevelScalars
        var view = String.UnicodeScalarView()
        for b in text.utf8 { view.append(Unicode.Scalar(table[Int(b)])!) }
        return String(view)
    }

    /// GPT-2's byte → scalar table, written independently of the module's.
    static let byteLevelScalars: [UInt32] = {
        var table = [UInt32](repeating: 0, count: 256)
        var next: UInt32 = 256
        for b in 0..<256 {
            let printable = (0x21...0x7E).contains(b) || (0xA1...0xAC).contains(b) || (0xAE...0xFF).contains(b)
            if printable { table[b] = UInt32(b) } else { table[b] = next; next += 1 }
        }
        return table
    }()

    func make(pre: PreTokenizer = .gpt2, bos: TokenID? = nil, eos: TokenID? = nil, unknown: TokenID? = nil,
              addsBOS: Bool? = nil, ignoresMerges: Bool? = nil) throws -> BPETokenizer {
        var tokens = specials.map(\.text)
        var types = specials.map(\.type)
        let table = Self.byteLevelScalars
        for b in 0..<256 where !omittedBytes.contains(UInt8(b)) {
            tokens.append(String(Unicode.Scalar(table[b])!))
            types.append(.normal)
        }
        var added = Set<String>()
        for (left, right) in merges where !omittedResults.contains(left + right) && added.insert(left + right).inserted {
            tokens.append(Self.byteLevel(left + right))
            types.append(.normal)
        }
        for word in extraWords {
            tokens.append(Self.byteLevel(word))
            types.append(.normal)
        }
        return try BPETokenizer(
            tokens: tokens, tokenTypes: types,
            merges: merges.map { Self.byteLevel($0.0) + " " + Self.byteLevel($0.1) },
            preTokenizer: pre, bosTokenID: bos, eosTokenID: eos, unknownTokenID: unknown,
            addsBOS: addsBOS, ignoresMerges: ignoresMerges)
    }
}

extension BPETokenizer {
    /// The id of a plain-text word's token (test helper; crashes the test if absent).
    func id(_ plain: String) -> TokenID {
        tokenID(forText: TinyVocabulary.byteLevel(plain))!
    }

    /// Plain text of each token of `text`, to read failures easily.
    func pieces(_ text: String, parseSpecial: Bool = false) -> [String] {
        encode(text, parseSpecial: parseSpecial).map { id in
            isSpecial(id) ? tokenText(id) : String(decoding: tokenBytes(id), as: UTF8.self)
        }
    }
}
