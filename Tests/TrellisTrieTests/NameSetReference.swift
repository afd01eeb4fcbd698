import TrellisCore
import TrellisTestSupport
import TrellisTrie
import XCTest

/// The brute-force twin of a prefix trie: a dictionary from sequence to payload set.
struct NameSetReference {
    var names: [[TokenID]: Set<UInt32>] = [:]

    mutating func insert(_ tokens: [TokenID], payload: UInt32) { names[tokens, default: []].insert(payload) }

    /// Every prefix of every stored name (the empty prefix included when anything is stored).
    var prefixes: Set<[TokenID]> {
        var out = Set<[TokenID]>()
        for name in names.keys { for k in 0...name.count { out.insert(Array(name.prefix(k))) } }
        return out
    }

    /// Tokens that follow `prefix` in some stored name, ascending.
    func continuations(of prefix: [TokenID]) -> [TokenID] {
        var out = Set<TokenID>()
        for name in names.keys where name.count > prefix.count && Array(name.prefix(prefix.count)) == prefix {
            out.insert(name[prefix.count])
        }
        return out.sorted()
    }

    var tokenCount: Int { names.keys.reduce(0) { $0 + $1.count } }
    var payloadCount: Int { names.values.reduce(0) { $0 + $1.count } }
}

/// Random name sets with the shapes that break tries: empty sets, one-token names, exact and
/// payload-only duplicates, names that prefix other names, the empty name, shared prefixes.
struct RandomNameSet {
    var entries: [(tokens: [TokenID], payload: UInt32)] = []
    var reference = NameSetReference()
    let vocabulary: Int

    init(seed: UInt64, rng: inout SplitMix64) {
        let shapes = seed % 8
        vocabulary = [1, 2, 3, 5, 40, 1000][Int(seed % 6)]
        let count = shapes == 0 ? 0 : Int.random(in: 1...60, using: &rng)
        for i in 0..<count {
            var name: [TokenID]
            if shapes == 1 {
                name = [TokenID.random(in: 0..<TokenID(vocabulary), using: &rng)]
            } else if !entries.isEmpty && Int.random(in: 0..<3, using: &rng) == 0 {
                // Extend or cut an earlier name: shared prefixes and names inside names.
                let earlier = entries[Int.random(in: 0..<entries.count, using: &rng)].tokens
                name = Array(earlier.prefix(Int.random(in: 0...earlier.count, using: &rng)))
                for _ in 0..<Int.random(in: 0...3, using: &rng) { name.append(TokenID.random(in: 0..<TokenID(vocabulary), using: &rng)) }
            } else {
                let minLength = shapes == 7 ? 0 : 1
                name = (0..<Int.random(in: minLength...7, using: &rng)).map { _ in TokenID.random(in: 0..<TokenID(vocabulary), using: &rng) }
            }
            let payload = UInt32(Int.random(in: 0..<4, using: &rng) == 0 ? Int.random(in: 0..<3, using: &rng) : i)
            entries.append((name, payload))
            reference.insert(name, payload: payload)
            if Int.random(in: 0..<5, using: &rng) == 0 { entries.append((name, payload)) }  // exact duplicate
        }
        entries.shuffle(using: &rng)
    }

    func build() throws -> PrefixTrie {
        var builder = PrefixTrieBuilder()
        for e in entries { builder.insert(e.tokens, payload: e.payload) }
        return try builder.freeze()
    }
}

/// Asserts that `trie` holds exactly `reference`: enumeration, every prefix's continuations,
/// terminals, payloads, every single step, and the counts.
func assertTrie(_ trie: PrefixTrie, equals reference: NameSetReference, vocabulary: Int, seed: UInt64,
                file: StaticString = #filePath, line: UInt = #line) {
    let context = "seed \(seed)"
    var enumerated: [[TokenID]: Set<UInt32>] = [:]
    var previous: [TokenID]? = nil
    trie.forEachSequence { tokens, payloads in
        XCTAssertNil(enumerated[tokens], "\(context): \(tokens) enumerated twice", file: file, line: line)
        XCTAssertEqual(Array(payloads), Set(payloads).sorted(), "\(context): payloads sorted and distinct", file: file, line: line)
        if let p = previous { XCTAssertTrue(p.lexicographicallyPrecedes(tokens), "\(context): order", file: file, line: line) }
        previous = tokens
        enumerated[tokens] = Set(payloads)
    }
    XCTAssertEqual(enumerated, reference.names, context, file: file, line: line)
    let prefixes = reference.prefixes
    XCTAssertEqual(trie.nodeCount, max(prefixes.count, 1), "\(context): one node per distinct prefix", file: file, line: line)
    XCTAssertEqual(trie.sequenceCount, reference.names.count, context, file: file, line: line)
    XCTAssertEqual(trie.tokenCount, reference.tokenCount, context, file: file, line: line)
    XCTAssertEqual(trie.payloadCount, reference.payloadCount, context, file: file, line: line)
    XCTAssertEqual(trie.maxDepth, reference.names.keys.map(\.count).max() ?? 0, context, file: file, line: line)
    XCTAssertEqual(trie.sizeInBytes, 64 + 12 * trie.nodeCount + 4 + 4 * trie.payloadCount, context, file: file, line: line)
    XCTAssertNoThrow(try trie.validate(), context, file: file, line: line)
    for prefix in prefixes {
        guard let node = trie.walk(prefix) else {
            XCTFail("\(context): prefix \(prefix) missing", file: file, line: line)
            continue
        }
        let expected = reference.continuations(of: prefix)
        XCTAssertEqual(Array(trie.children(of: node)), expected, "\(context) prefix \(prefix)", file: file, line: line)
        XCTAssertEqual(trie.childCount(of: node), expected.count, context, file: file, line: line)
        XCTAssertEqual(trie.isTerminal(node), reference.names[prefix] != nil, "\(context) prefix \(prefix)", file: file, line: line)
        XCTAssertEqual(Array(trie.payloads(at: node)), (reference.names[prefix] ?? []).sorted(), "\(context) prefix \(prefix)", file: file, line: line)
        trie.withChildren(of: node) { XCTAssertEqual(Array($0), expected, context, file: file, line: line) }
        let children = trie.children(of: node)
        for t in TokenID(-1)...TokenID(min(vocabulary, 50)) {
            let stepped = trie.step(node, token: t)
            XCTAssertEqual(stepped != nil, expected.contains(t), "\(context) prefix \(prefix) token \(t)", file: file, line: line)
            if let stepped, let i = children.firstIndex(of: t) {
                XCTAssertEqual(stepped, children.node(at: i), context, file: file, line: line)
            }
        }
    }
    XCTAssertEqual(trie.walk([TokenID(vocabulary)]), nil, "\(context): token outside the names", file: file, line: line)
}
