/// Turns arbitrary user text into a safe FTS5 MATCH expression: the text is split into terms
/// (maximal runs of letters, digits and combining marks), each term is wrapped in double
/// quotes (an FTS5 string, so `AND`, `NEAR`, `*`, `:`, `^`, parentheses and quotes lose any
/// meaning), duplicates are dropped, and the terms are OR-ed, which is the bag-of-words query
/// BM25 expects. O(length of the text).
enum FullTextQuery {
    /// At most this many distinct terms are kept (bounds the work of a pasted document).
    static let maximumTerms = 256

    /// The MATCH expression, or nil when the text holds no term at all.
    static func matchExpression(for text: String) -> String? {
        let terms = terms(in: text)
        guard !terms.isEmpty else { return nil }
        // Terms hold only letters, digits and marks, so they contain no quote to double.
        return terms.map { "\"\($0)\"" }.joined(separator: " OR ")
    }

    static func terms(in text: String) -> [String] {
        var terms: [String] = []
        var seen: Set<String> = []
        var current = String.UnicodeScalarView()
        func flush() {
            guard !current.isEmpty else { return }
            let term = String(current).lowercased()
            current = String.UnicodeScalarView()
            if terms.count < maximumTerms, seen.insert(term).inserted { terms.append(term) }
        }
        for scalar in text.unicodeScalars {
            if isTermScalar(scalar) { current.append(scalar) } else { flush() }
        }
        flush()
        return terms
    }

    private static func isTermScalar(_ scalar: Unicode.Scalar) -> Bool {
        let properties = scalar.properties
        if properties.isAlphabetic { return true }
        switch properties.generalCategory {
        case .decimalNumber, .letterNumber, .otherNumber, .nonspacingMark, .spacingMark, .enclosingMark:
            return true
        default:
            return false
        }
    }
}
