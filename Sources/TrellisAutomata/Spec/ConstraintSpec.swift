import Foundation
import TrellisCore

/// Errors in a JSON constraint spec, naming the field at fault.
public enum ConstraintSpecError: Error, Equatable, CustomStringConvertible {
    case invalidJSON(String)
    case unknownField(String)
    case wrongType(field: String, expected: String)
    case invalidValue(field: String, reason: String)

    public var description: String {
        switch self {
        case .invalidJSON(let m): return "constraint is not valid JSON: \(m)"
        case .unknownField(let f): return "unknown constraint field \"\(f)\" (known: \(ConstraintSpec.knownFields.joined(separator: ", ")))"
        case .wrongType(let f, let e): return "constraint field \"\(f)\" must be \(e)"
        case .invalidValue(let f, let r): return "constraint field \"\(f)\": \(r)"
        }
    }
}

/// A readable constraint for the CLI and API, decoded from JSON such as
/// `{"keywords": [["dog","dogs"], ["frisbee"]], "banned": ["cat"], "min_words": 5,
///   "max_words": 20, "max_tokens": 32, "end_with_eos": true}`. Every field is optional;
/// unknown fields and wrong types are errors (`ConstraintSpecError`), never ignored.
/// `inflect: true` expands each keyword alternative with `EnglishInflection.forms(of:)`.
/// `{"regex": "[A-Z][a-z]+"}` makes the whole output match a regular expression (`RegexParser`),
/// `{"json_schema": {...}}` makes it compact JSON valid under a schema (`JSONSchemaRegex`).
/// Ordered constraints: `"ordered": true` makes the keywords occur in the given order, and
/// `"then": [{…}, {…}]` requires the text to split into consecutive pieces, piece i satisfying
/// part i (keywords, banned, ordered, word counts, nested `then`; a part has no `max_tokens` or
/// `end_with_eos`), on top of the top-level fields (AND). Pieces split at token boundaries,
/// and a piece boundary counts as a word boundary for the piece's own keywords and word count.
public struct ConstraintSpec: Sendable, Equatable, Decodable {
    public var keywords: [[String]] = []
    public var banned: [String] = []
    public var minWords: Int?
    public var maxWords: Int?
    public var maxTokens: Int?
    public var endWithEOS: Bool = false
    public var inflect: Bool = false
    /// The whole output must match this regular expression.
    public var regex: String?
    /// The whole output must be JSON valid under this schema.
    public var jsonSchema: JSONValue?
    /// Keywords must occur in the given order.
    public var ordered: Bool = false
    /// Consecutive pieces of the text, each satisfying its part (concatenation).
    public var then: [ConstraintSpec] = []

    public static let knownFields = ["keywords", "banned", "min_words", "max_words", "max_tokens",
                                     "end_with_eos", "inflect", "ordered", "then", "regex", "json_schema"]

    public init(keywords: [[String]] = [], banned: [String] = [], minWords: Int? = nil,
                maxWords: Int? = nil, maxTokens: Int? = nil, endWithEOS: Bool = false, inflect: Bool = false,
                ordered: Bool = false, then: [ConstraintSpec] = [], regex: String? = nil, jsonSchema: JSONValue? = nil) {
        self.ordered = ordered
        self.then = then
        self.regex = regex
        self.jsonSchema = jsonSchema
        self.keywords = keywords
        self.banned = banned
        self.minWords = minWords
        self.maxWords = maxWords
        self.maxTokens = maxTokens
        self.endWithEOS = endWithEOS
        self.inflect = inflect
    }

    private struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    public init(from decoder: Decoder) throws {
        let container: KeyedDecodingContainer<AnyKey>
        do { container = try decoder.container(keyedBy: AnyKey.self) } catch {
            throw ConstraintSpecError.wrongType(field: "(top level)", expected: "an object")
        }
        for key in container.allKeys where !Self.knownFields.contains(key.stringValue) {
            throw ConstraintSpecError.unknownField(key.stringValue)
        }
        func field<T: Decodable>(_ name: String, _ type: T.Type, _ expected: String) throws -> T? {
            let key = AnyKey(stringValue: name)
            guard container.contains(key) else { return nil }
            do { return try container.decode(T.self, forKey: key) } catch let e as ConstraintSpecError { throw e } catch {
                throw ConstraintSpecError.wrongType(field: name, expected: expected)
            }
        }
        keywords = try field("keywords", [[String]].self, "an array of arrays of strings") ?? []
        banned = try field("banned", [String].self, "an array of strings") ?? []
        minWords = try field("min_words", Int.self, "an integer")
        maxWords = try field("max_words", Int.self, "an integer")
        maxTokens = try field("max_tokens", Int.self, "an integer")
        endWithEOS = try field("end_with_eos", Bool.self, "a boolean") ?? false
        inflect = try field("inflect", Bool.self, "a boolean") ?? false
        ordered = try field("ordered", Bool.self, "a boolean") ?? false
        // A part's own errors (unknown field, wrong type inside it) pass through unchanged.
        then = try field("then", [ConstraintSpec].self, "an array of constraint objects") ?? []
        regex = try field("regex", String.self, "a string")
        jsonSchema = try field("json_schema", JSONValue.self, "a JSON schema")
        try validate()
    }

    /// Parses a spec from JSON text.
    public static func parse(_ json: String) throws -> ConstraintSpec {
        do {
            return try JSONDecoder().decode(ConstraintSpec.self, from: Data(json.utf8))
        } catch let e as ConstraintSpecError {
            throw e
        } catch {
            throw ConstraintSpecError.invalidJSON(String(describing: error))
        }
    }

    public func validate() throws {
        for (i, concept) in keywords.enumerated() {
            if concept.isEmpty || concept.contains(where: \.isEmpty) {
                throw ConstraintSpecError.invalidValue(field: "keywords", reason: "concept \(i) has an empty alternative")
            }
        }
        if keywords.count > 32 { throw ConstraintSpecError.invalidValue(field: "keywords", reason: "at most 32 concepts") }
        if banned.contains(where: \.isEmpty) { throw ConstraintSpecError.invalidValue(field: "banned", reason: "empty word") }
        if let lo = minWords, lo < 0 { throw ConstraintSpecError.invalidValue(field: "min_words", reason: "negative") }
        if let hi = maxWords, hi < (minWords ?? 0) {
            throw ConstraintSpecError.invalidValue(field: "max_words", reason: "below min_words")
        }
        if let t = maxTokens, t <= 0 { throw ConstraintSpecError.invalidValue(field: "max_tokens", reason: "must be positive") }
        if let regex {
            do { _ = try RegexParser.parse(regex) } catch { throw ConstraintSpecError.invalidValue(field: "regex", reason: "\(error)") }
        }
        if let jsonSchema {
            do { _ = try JSONSchemaRegex.compile(jsonSchema) } catch { throw ConstraintSpecError.invalidValue(field: "json_schema", reason: "\(error)") }
        }
        for (i, part) in then.enumerated() {
            if part.maxTokens != nil || part.endWithEOS {
                throw ConstraintSpecError.invalidValue(field: "then", reason: "part \(i) may not set max_tokens or end_with_eos (they apply to the whole text)")
            }
            do { try part.validate() } catch ConstraintSpecError.invalidValue(let f, let r) {
                throw ConstraintSpecError.invalidValue(field: "then[\(i)].\(f)", reason: r)
            }
        }
    }

    /// Concepts after optional inflection expansion (alternatives deduplicated, order kept).
    public var expandedKeywords: [[String]] {
        guard inflect else { return keywords }
        return keywords.map { alternatives in
            var seen = Set<String>()
            return alternatives.flatMap { EnglishInflection.forms(of: $0) }.filter { seen.insert($0).inserted }
        }
    }

    /// The minimized token DFA of all parts (AND). A `min_words` without `max_words` counts
    /// only up to `min_words` (`TokenDFA.atLeastWords`). `then` parts inherit `max_tokens` and
    /// `inflect`.
    public func compile(vocabulary: [[UInt8]], eos: TokenID?) throws -> TokenDFA {
        let keywordDFA = ordered ? try TokenDFA.orderedKeyphrases(expandedKeywords, vocabulary: vocabulary)
                                 : try TokenDFA.keyphrases(expandedKeywords, vocabulary: vocabulary)
        var dfa = keywordDFA.minimized()
        if !then.isEmpty {
            let parts = try then.map { part -> TokenDFA in
                var part = part
                part.maxTokens = maxTokens
                part.inflect = part.inflect || inflect
                return try part.compile(vocabulary: vocabulary, eos: nil)
            }
            dfa = try dfa.and(TokenDFA.sequence(parts, vocabularySize: vocabulary.count)).minimized()
        }
        if !banned.isEmpty {
            dfa = try dfa.and(TokenDFA.banned(banned, vocabulary: vocabulary)).minimized()
        }
        if let maxWords {
            dfa = try dfa.and(TokenDFA.wordCount(min: minWords ?? 0, max: maxWords, vocabulary: vocabulary)).minimized()
        } else if let minWords, minWords > 0 {
            // Open-ended: the count saturates at min_words, so the DFA stays small.
            dfa = try dfa.and(TokenDFA.atLeastWords(minWords, vocabulary: vocabulary)).minimized()
        }
        if let regex {
            dfa = try dfa.and(TokenDFA.regex(regex, vocabulary: vocabulary)).minimized()
        }
        if let jsonSchema {
            dfa = try dfa.and(TokenDFA.jsonSchema(jsonSchema, vocabulary: vocabulary)).minimized()
        }
        if endWithEOS {
            guard let eos else { throw ConstraintSpecError.invalidValue(field: "end_with_eos", reason: "the tokenizer has no EOS token") }
            dfa = try dfa.and(TokenDFA.endsWithEOS(eos, vocabularySize: vocabulary.count)).minimized()
        }
        return dfa
    }
}
