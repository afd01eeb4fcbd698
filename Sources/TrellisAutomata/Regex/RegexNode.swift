/// A set of Unicode code points as sorted, disjoint, non-adjacent closed ranges.
public struct CodePointSet: Sendable, Equatable {
    public private(set) var ranges: [ClosedRange<UInt32>]

    public init(_ ranges: [ClosedRange<UInt32>] = []) {
        self.ranges = []
        for r in ranges { insert(r) }
    }

    public static let maxCodePoint: UInt32 = 0x10FFFF
    /// Every code point except the UTF-16 surrogates, which UTF-8 text never holds.
    public static let all = CodePointSet([0...0xD7FF, 0xE000...maxCodePoint])

    public var isEmpty: Bool { ranges.isEmpty }

    public mutating func insert(_ range: ClosedRange<UInt32>) {
        var merged = range
        var kept: [ClosedRange<UInt32>] = []
        for r in ranges {
            if r.upperBound &+ 1 < merged.lowerBound || merged.upperBound &+ 1 < r.lowerBound {
                kept.append(r)
            } else {
                merged = min(r.lowerBound, merged.lowerBound)...max(r.upperBound, merged.upperBound)
            }
        }
        kept.append(merged)
        ranges = kept.sorted { $0.lowerBound < $1.lowerBound }
    }

    public mutating func formUnion(_ other: CodePointSet) { for r in other.ranges { insert(r) } }

    /// `CodePointSet.all` minus this set.
    public var complement: CodePointSet {
        var result = CodePointSet()
        for allowed in CodePointSet.all.ranges {
            var next = allowed.lowerBound
            for r in ranges where r.upperBound >= allowed.lowerBound && r.lowerBound <= allowed.upperBound {
                if r.lowerBound > next { result.insert(next...(r.lowerBound - 1)) }
                next = max(next, r.upperBound &+ 1)
            }
            if next <= allowed.upperBound { result.insert(next...allowed.upperBound) }
        }
        return result
    }

    public func contains(_ c: UInt32) -> Bool { ranges.contains { $0.contains(c) } }
}

/// The syntax tree of a regular expression (or of a JSON schema compiled to one). Matching is
/// always of the whole text, over Unicode code points encoded as UTF-8 bytes.
public indirect enum RegexNode: Sendable, Equatable {
    /// Matches the empty text.
    case empty
    /// One code point from the set.
    case characters(CodePointSet)
    case sequence([RegexNode])
    case alternation([RegexNode])
    /// `min` to `max` copies (`max == nil`: unbounded).
    case repeated(RegexNode, min: Int, max: Int?)

    /// The literal text.
    public static func literal(_ text: String) -> RegexNode {
        .sequence(text.unicodeScalars.map { .characters(CodePointSet([$0.value...$0.value])) })
    }

    public static func optional(_ node: RegexNode) -> RegexNode { .repeated(node, min: 0, max: 1) }
}
