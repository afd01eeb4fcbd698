/// CommonGen's constraint check: every concept appears, as a whole word, in one of its accepted
/// forms (case-insensitive). Words are maximal runs of letters and digits, the same word
/// boundary as the keyword DFAs (`isWordByte`), so "surfer's" contains the word "surfer".
/// O(text length + total forms).
public enum ConceptCoverage {
    public static func words(_ text: String) -> Set<String> {
        var out = Set<String>()
        var current = ""
        for ch in text.lowercased() {
            if ch.isLetter || ch.isNumber { current.append(ch) } else if !current.isEmpty {
                out.insert(current)
                current = ""
            }
        }
        if !current.isEmpty { out.insert(current) }
        return out
    }

    /// Whether every concept (a list of accepted forms) has a form among the words of `text`.
    public static func covers(_ text: String, concepts: [[String]]) -> Bool {
        let present = words(text)
        return concepts.allSatisfy { forms in forms.contains { present.contains($0.lowercased()) } }
    }
}
