/// The four classes the pre-tokenizer regexes distinguish: `\p{L}` (general categories Lu, Ll,
/// Lt, Lm, Lo), `\p{N}` (Nd, Nl, No), `\s` (the Unicode White_Space property, as llama.cpp and
/// HF tokenizers use it) and everything else (marks, punctuation, symbols, controls, format
/// characters such as ZWJ, unassigned code points).
///
/// Classification is a table read for the Basic Multilingual Plane (64 KiB built once from
/// `Unicode.Scalar.Properties`) and a property lookup above it.
enum ScalarClass {
    static let other: UInt8 = 0
    static let letter: UInt8 = 1
    static let number: UInt8 = 2
    static let whitespace: UInt8 = 3

    static func compute(_ value: UInt32) -> UInt8 {
        guard let scalar = Unicode.Scalar(value) else { return other }
        let properties = scalar.properties
        if properties.isWhitespace { return whitespace }
        switch properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter:
            return letter
        case .decimalNumber, .letterNumber, .otherNumber:
            return number
        default:
            return other
        }
    }

    /// Class of every BMP scalar value (surrogate values classify as `other`).
    static let basicPlane: [UInt8] = (0..<0x10000).map { compute(UInt32($0)) }

    @inline(__always)
    static func of(_ value: UInt32, basicPlane: UnsafeBufferPointer<UInt8>) -> UInt8 {
        value < 0x10000 ? basicPlane[Int(value)] : compute(value)
    }
}
