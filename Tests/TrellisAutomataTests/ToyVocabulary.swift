import TrellisAutomata
import TrellisCore

/// A toy vocabulary with multi-byte tokens, leading spaces, punctuation, split UTF-8 and an
/// empty control token; index = token id.
let toyVocabulary: [[UInt8]] = [
    "d", "o", "g", "s", " ", "dog", " dog", "do", "gs", ",", " cat", "cat", "c", "a", "t",
    " fris", "bee", "frisbee", "x", " the", "Dog", ".", "catdog", " ", "ca",
].map { Array($0.utf8) } + [[0xC3], [0xA9], []]

let toyEOS: Int32 = Int32(toyVocabulary.count - 1)

func decodeBytes(_ tokens: [Int32], _ vocabulary: [[UInt8]]) -> [UInt8] {
    tokens.flatMap { vocabulary[Int($0)] }
}

/// Whether `phrase` occurs in `text` as whole words (brute force).
func containsWholePhrase(_ text: [UInt8], _ phrase: [UInt8]) -> Bool {
    guard !phrase.isEmpty, phrase.count <= text.count else { return false }
    for i in 0...(text.count - phrase.count) where Array(text[i..<(i + phrase.count)]) == phrase {
        let before = i == 0 || !isWordByte(text[i - 1])
        let after = i + phrase.count == text.count || !isWordByte(text[i + phrase.count])
        if before && after { return true }
    }
    return false
}

func wordCountBrute(_ text: [UInt8]) -> Int {
    var count = 0
    var inWord = false
    for b in text {
        if isWordByte(b) { if !inWord { count += 1 }; inWord = true } else { inWord = false }
    }
    return count
}

/// Every sequence over `vocabularySize` tokens of length <= maxLength.
func allSequences(vocabularySize: Int, maxLength: Int) -> [[Int32]] {
    var out: [[Int32]] = [[]]
    var frontier: [[Int32]] = [[]]
    for _ in 0..<maxLength {
        frontier = frontier.flatMap { s in (0..<vocabularySize).map { s + [Int32($0)] } }
        out += frontier
    }
    return out
}
