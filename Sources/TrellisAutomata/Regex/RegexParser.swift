/// An error in a regular expression, with the code-point offset where it was found.
public struct RegexSyntaxError: Error, Equatable, CustomStringConvertible {
    public let offset: Int
    public let reason: String
    public var description: String { "regex error at offset \(offset): \(reason)" }
}

/// Parses the regular-expression dialect of `{"regex": …}` constraints into a `RegexNode`:
/// literals, `.` (any character but newline), classes `[a-z]`, `[^"\\]`, escapes `\d \w \s`
/// (ASCII) and their negations, `\n \t \r \f \v \0 \xHH \uHHHH`, escaped metacharacters, groups
/// `( )` and `(?: )`, alternation `|`, and the greedy quantifiers `* + ? {n} {n,} {n,m}`.
/// The whole output must match, so `^` at the start and `$` at the end are accepted and
/// ignored; anchors elsewhere, backreferences, lookaround and lazy quantifiers are errors.
/// Recursive descent, O(pattern length).
public struct RegexParser {
    private let scalars: [UnicodeScalar]
    private var position = 0
    private var depth = 0
    /// Largest count in `{n,m}` (each copy is expanded in the automaton).
    public static let maxRepetition = 1000

    public static func parse(_ pattern: String) throws -> RegexNode {
        var parser = RegexParser(scalars: Array(pattern.unicodeScalars))
        if parser.peek == "^" { parser.position += 1 }
        let node = try parser.alternation()
        if parser.position < parser.scalars.count {
            throw parser.error(parser.peek == ")" ? "unbalanced `)`" : "unexpected `\(parser.scalars[parser.position])`")
        }
        return node
    }

    private init(scalars: [UnicodeScalar]) { self.scalars = scalars }

    private var peek: UnicodeScalar? { position < scalars.count ? scalars[position] : nil }

    private func error(_ reason: String) -> RegexSyntaxError { RegexSyntaxError(offset: position, reason: reason) }

    private mutating func alternation() throws -> RegexNode {
        var branches = [try sequence()]
        while peek == "|" {
            position += 1
            branches.append(try sequence())
        }
        return branches.count == 1 ? branches[0] : .alternation(branches)
    }

    private mutating func sequence() throws -> RegexNode {
        var items: [RegexNode] = []
        while let c = peek, c != "|", c != ")" {
            if c == "$" && position == scalars.count - 1 { position += 1; break }
            items.append(try quantified(try atom()))
        }
        return items.isEmpty ? .empty : (items.count == 1 ? items[0] : .sequence(items))
    }

    private mutating func quantified(_ atom: RegexNode) throws -> RegexNode {
        var node = atom
        while let c = peek {
            let bounds: (Int, Int?)
            switch c {
            case "*": bounds = (0, nil); position += 1
            case "+": bounds = (1, nil); position += 1
            case "?": bounds = (0, 1); position += 1
            case "{":
                guard let b = try counted() else { return node }
                bounds = b
            default: return node
            }
            if peek == "?" { throw error("lazy quantifiers are not supported (the whole output is matched)") }
            if peek == "+" { throw error("possessive quantifiers are not supported") }
            node = .repeated(node, min: bounds.0, max: bounds.1)
        }
        return node
    }

    /// `{n}`, `{n,}`, `{n,m}`; nil (and no input consumed) when `{` does not start one.
    private mutating func counted() throws -> (Int, Int?)? {
        let start = position
        position += 1
        func number() -> Int? {
            var value: Int?
            while let c = peek, let d = c.properties.numericType == .decimal ? Int(String(c)) : nil, c.isASCII {
                value = min((value ?? 0) * 10 + d, Int(Int32.max))
                position += 1
            }
            return value
        }
        guard let low = number() else { position = start; return nil }
        var high: Int? = low
        if peek == "," {
            position += 1
            high = number()
        }
        guard peek == "}" else { position = start; return nil }
        position += 1
        if let high, high < low { throw RegexSyntaxError(offset: start, reason: "repetition {\(low),\(high)} has max below min") }
        if max(low, high ?? 0) > Self.maxRepetition {
            throw RegexSyntaxError(offset: start, reason: "repetition count over \(Self.maxRepetition)")
        }
        return (low, high)
    }

    private mutating func atom() throws -> RegexNode {
        guard let c = peek else { throw error("pattern ends early") }
        switch c {
        case "(":
            position += 1
            if peek == "?" {
                guard position + 1 < scalars.count, scalars[position + 1] == ":" else {
                    throw error("only non-capturing groups `(?:…)` are supported after `(?`")
                }
                position += 2
            }
            depth += 1
            guard depth <= 200 else { throw error("groups nested too deeply") }
            let inner = try alternation()
            depth -= 1
            guard peek == ")" else { throw error("missing `)`") }
            position += 1
            return inner
        case "[":
            return .characters(try characterClass())
        case ".":
            position += 1
            return .characters(CodePointSet([0x0A...0x0A]).complement)
        case "\\":
            return .characters(try escape(inClass: false))
        case "*", "+", "?":
            throw error("`\(c)` has nothing to repeat")
        case "^", "$":
            throw error("anchors are only allowed at the very start and end (the whole output is matched)")
        default:
            position += 1
            return .characters(CodePointSet([c.value...c.value]))
        }
    }

    private mutating func characterClass() throws -> CodePointSet {
        let open = position
        position += 1
        var negated = false
        if peek == "^" { negated = true; position += 1 }
        var set = CodePointSet()
        var first = true
        while true {
            guard let c = peek else { throw RegexSyntaxError(offset: open, reason: "missing `]`") }
            if c == "]" && !first { position += 1; break }
            first = false
            let low: CodePointSet
            var single: UInt32?
            if c == "\\" {
                low = try escape(inClass: true)
                if low.ranges.count == 1, low.ranges[0].count == 1 { single = low.ranges[0].lowerBound }
            } else {
                position += 1
                low = CodePointSet([c.value...c.value])
                single = c.value
            }
            // A range `a-z`: only between single characters, and not when `-` closes the class.
            if let from = single, peek == "-", position + 1 < scalars.count, scalars[position + 1] != "]" {
                position += 1
                let toScalar = scalars[position]
                let to: UInt32
                if toScalar == "\\" {
                    let escaped = try escape(inClass: true)
                    guard escaped.ranges.count == 1, escaped.ranges[0].count == 1 else { throw error("a class cannot end a range") }
                    to = escaped.ranges[0].lowerBound
                } else {
                    position += 1
                    to = toScalar.value
                }
                guard from <= to else { throw error("range end below its start") }
                set.insert(from...to)
            } else {
                set.formUnion(low)
            }
        }
        if negated { set = set.complement }
        guard !set.isEmpty else { throw RegexSyntaxError(offset: open, reason: "the class matches no character") }
        return set
    }

    private mutating func escape(inClass: Bool) throws -> CodePointSet {
        position += 1
        guard let c = peek else { throw error("pattern ends after `\\`") }
        position += 1
        func one(_ v: UInt32) -> CodePointSet { CodePointSet([v...v]) }
        let digits = CodePointSet([0x30...0x39])
        let word = CodePointSet([0x30...0x39, 0x41...0x5A, 0x5F...0x5F, 0x61...0x7A])
        let space = CodePointSet([0x09...0x0D, 0x20...0x20])
        switch c {
        case "d": return digits
        case "D": return digits.complement
        case "w": return word
        case "W": return word.complement
        case "s": return space
        case "S": return space.complement
        case "n": return one(0x0A)
        case "t": return one(0x09)
        case "r": return one(0x0D)
        case "f": return one(0x0C)
        case "v": return one(0x0B)
        case "0": return one(0)
        case "x": return one(try hex(count: 2))
        case "u": return one(try hex(count: 4))
        default:
            if c.properties.isAlphabetic || c.properties.numericType != nil {
                throw RegexSyntaxError(offset: position - 2, reason: "unsupported escape `\\\(c)`")
            }
            return one(c.value)
        }
    }

    private mutating func hex(count: Int) throws -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<count {
            guard let c = peek, let d = UInt32(String(c), radix: 16) else { throw error("expected \(count) hex digits") }
            value = value * 16 + d
            position += 1
        }
        guard value < 0xD800 || value > 0xDFFF else { throw error("a surrogate is not a character") }
        return value
    }
}
