/// The regex-based splitting of text into words before BPE, chosen by GGUF's
/// `tokenizer.ggml.pre` (llama.cpp's pre-tokenizer types; the patterns are llama.cpp's, from
/// `llama-vocab.cpp`, which follow each model's HF `tokenizer.json`):
///
/// - `gpt2`: `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`
/// - `smollm` (also StarCoder, Refact, CodeShell): first `\p{N}` (every digit its own piece),
///   then the GPT-2 pattern inside each remaining piece.
/// - `llama-bpe` (Llama 3): `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|
///   ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+` (case-insensitive contractions for ASCII
///   letters only, as llama.cpp's `'[sS]|'[tT]|...` adaptation), and whole words found in the
///   vocabulary skip BPE (`ignore_merges`).
/// - `qwen2`: as `llama-bpe` with `\p{N}` (single digits) instead of `\p{N}{1,3}`.
///
/// Each pattern is implemented by a hand-written scanner over Unicode scalars that follows the
/// regex's leftmost-first alternation and backtracking exactly (not NSRegularExpression), in
/// O(n) per text. Pieces never cross a special-token boundary; lookahead stops at the piece end.
public enum PreTokenizer: String, Sendable, CaseIterable {
    case gpt2
    case smollm
    case llamaBPE = "llama-bpe"
    case qwen2

    /// `tokenizer.ggml.pre` values accepted for each kind (llama.cpp maps these to the same regex).
    static let aliases: [String: PreTokenizer] = [
        "gpt2": .gpt2, "gpt-2": .gpt2, "phi-2": .gpt2, "mpt": .gpt2, "olmo": .gpt2,
        "smollm": .smollm, "starcoder": .smollm, "refact": .smollm, "codeshell": .smollm,
        "llama-bpe": .llamaBPE, "llama3": .llamaBPE, "llama-v3": .llamaBPE,
        "qwen2": .qwen2, "stablelm2": .qwen2,
    ]

    /// Every accepted `tokenizer.ggml.pre` name, sorted.
    public static var supportedNames: [String] { aliases.keys.sorted() }

    /// The pre-tokenizer that a GGUF `tokenizer.ggml.pre` value names.
    public init(ggufName: String) throws {
        guard let kind = Self.aliases[ggufName] else {
            throw TokenizerError.unsupportedPreTokenizer(ggufName, supported: Self.supportedNames)
        }
        self = kind
    }

    /// Whether a word found whole in the vocabulary bypasses the merges (HF `ignore_merges`).
    var ignoresMergesByDefault: Bool { self == .llamaBPE }

    /// Whether the model expects a BOS token when the GGUF does not say (llama.cpp's default).
    var addsBOSByDefault: Bool { self == .llamaBPE }

    /// The pieces of `text`, in order; they concatenate back to `text`.
    public func split(_ text: String) -> [String] {
        let scalars = Array(text.unicodeScalars.map(\.value))
        let classes = ScalarClass.basicPlane.withUnsafeBufferPointer { plane in
            scalars.map { ScalarClass.of($0, basicPlane: plane) }
        }
        var ends: [Int32] = []
        scalars.withUnsafeBufferPointer { s in
            classes.withUnsafeBufferPointer { k in
                pieces(s, k, 0, scalars.count, into: &ends)
            }
        }
        var out: [String] = []
        var start = 0
        for end in ends {
            var view = String.UnicodeScalarView()
            for v in scalars[start..<Int(end)] { view.append(Unicode.Scalar(v)!) }
            out.append(String(view))
            start = Int(end)
        }
        return out
    }

    /// Appends the end index of each piece of `s[lo..<hi]` to `ends`.
    /// - Parameters: `s` the scalar values, `k` their `ScalarClass`es (same length).
    func pieces(_ s: UnsafeBufferPointer<UInt32>, _ k: UnsafeBufferPointer<UInt8>, _ lo: Int, _ hi: Int,
                into ends: inout [Int32]) {
        switch self {
        case .gpt2: Self.scanGPT2(s, k, lo, hi, &ends)
        case .smollm: Self.scanDigitsThenGPT2(s, k, lo, hi, &ends)
        case .llamaBPE: Self.scanLlama3(s, k, lo, hi, maxDigits: 3, &ends)
        case .qwen2: Self.scanLlama3(s, k, lo, hi, maxDigits: 1, &ends)
        }
    }
}

/// ASCII code points the scanners test for.
enum ASCII {
    static let apostrophe: UInt32 = 0x27
    static let space: UInt32 = 0x20
    static let cr: UInt32 = 0x0D
    static let lf: UInt32 = 0x0A
    static let d: UInt32 = 0x64, e: UInt32 = 0x65, l: UInt32 = 0x6C, m: UInt32 = 0x6D
    static let r: UInt32 = 0x72, s: UInt32 = 0x73, t: UInt32 = 0x74, v: UInt32 = 0x76
}
