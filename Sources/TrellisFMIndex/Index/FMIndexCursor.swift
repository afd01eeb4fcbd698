/// A position in backward search: the half-open range of suffix-array rows whose suffixes start
/// with the reversed n-gram matched so far, and the n-gram's length. Extending it by one token is
/// one backward-search step (`FMIndex.extend(_:with:)`); copying it is free (beam forks).
/// The root cursor (depth 0) spans every row.
public struct FMIndexCursor: Hashable, Sendable {
    /// First row of the range.
    public let lowerBound: Int
    /// One past the last row of the range.
    public let upperBound: Int
    /// Tokens matched so far.
    public let depth: Int

    public init(lowerBound: Int, upperBound: Int, depth: Int) {
        self.lowerBound = lowerBound
        self.upperBound = upperBound
        self.depth = depth
    }

    /// Rows in the range: the n-gram's occurrences when depth > 0.
    public var rowCount: Int { upperBound - lowerBound }
}

/// One next token after an n-gram and how many occurrences continue with it.
public struct FMIndexContinuation: Hashable, Sendable {
    public let token: Int32
    public let count: Int
    public init(token: Int32, count: Int) { self.token = token; self.count = count }
}

/// One occurrence of an n-gram: its passage and the token offset where it starts in that passage.
public struct FMIndexOccurrence: Hashable, Sendable, Comparable {
    public let passage: Int
    public let offset: Int
    public init(passage: Int, offset: Int) { self.passage = passage; self.offset = offset }
    public static func < (a: Self, b: Self) -> Bool { (a.passage, a.offset) < (b.passage, b.offset) }
}
