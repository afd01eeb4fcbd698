import TrellisCore
import TrellisTestSupport
import TrellisTrie
import XCTest

final class PrefixTrieTests: XCTestCase {
    /// Random name sets (empty, one-token, duplicates, names inside names, shared prefixes)
    /// against a brute-force dictionary, including a serialize → load round trip.
    func testAgreesWithBruteForceOnRandomNameSets() throws {
        for seed in UInt64(1)...160 {
            var rng = SplitMix64(seed: seed)
            let set = RandomNameSet(seed: seed, rng: &rng)
            let trie = try set.build()
            assertTrie(trie, equals: set.reference, vocabulary: set.vocabulary, seed: seed)
            let loaded = try PrefixTrie(serialized: trie.serialized())
            XCTAssertEqual(loaded.serialized(), trie.serialized(), "seed \(seed)")
            assertTrie(loaded, equals: set.reference, vocabulary: set.vocabulary, seed: seed)
            // Insertion order does not matter: the layout is canonical.
            var reversed = PrefixTrieBuilder()
            for e in set.entries.reversed() { reversed.insert(e.tokens, payload: e.payload) }
            XCTAssertEqual(try reversed.freeze().serialized(), trie.serialized(), "seed \(seed)")
        }
    }

    func testEmptyTrie() throws {
        let trie = try PrefixTrieBuilder().freeze()
        XCTAssertTrue(trie.isEmpty)
        XCTAssertEqual(trie.nodeCount, 1)
        XCTAssertEqual(trie.childCount(of: trie.root), 0)
        XCTAssertFalse(trie.isTerminal(trie.root))
        XCTAssertNil(trie.step(trie.root, token: 0))
        XCTAssertTrue(trie.sequences().isEmpty)
        let constraint = PrefixTrieConstraint(trie: trie)
        XCTAssertEqual(constraint.allowed(in: constraint.initialState), .only([]))
        XCTAssertFalse(constraint.isAccepting(constraint.initialState))
    }

    func testSharedNameKeepsEveryPayload() throws {
        let eos: TokenID = 2
        var builder = PrefixTrieBuilder()
        builder.insert([10, 11, eos], payload: 7)   // "Paris" (city)
        builder.insert([10, 11, eos], payload: 3)   // "Paris" (mythology)
        builder.insert([10, 11, eos], payload: 7)   // duplicate row
        builder.insert([10, 11, 12, eos], payload: 9)  // "Paris Hilton"
        let trie = try builder.freeze()
        let paris = try XCTUnwrap(trie.walk([10, 11]))
        XCTAssertEqual(Array(trie.children(of: paris)), [eos, 12])
        XCTAssertFalse(trie.isTerminal(paris), "the name ends after EOS, not before")
        XCTAssertEqual(Array(trie.payloads(at: try XCTUnwrap(trie.step(paris, token: eos)))), [3, 7])
        XCTAssertEqual(trie.sequenceCount, 2)
        XCTAssertEqual(trie.payloadCount, 3)
    }

    func testConstraintFollowsCursorWithoutRewalking() throws {
        var builder = PrefixTrieBuilder()
        builder.insert([5, 6, 2], payload: 10)
        builder.insert([5, 7, 2], payload: 11)
        builder.insert([9, 2], payload: 12)
        let c = PrefixTrieConstraint(trie: try builder.freeze())
        XCTAssertEqual(c.allowed(in: c.initialState), .only([5, 9]))
        let s = try XCTUnwrap(c.advance(c.initialState, by: 5))
        XCTAssertEqual(c.allowed(in: s), .only([6, 7]))
        XCTAssertNil(c.advance(s, by: 9))
        XCTAssertFalse(c.isAccepting(s))
        let end = try XCTUnwrap(c.advance(try XCTUnwrap(c.advance(s, by: 7)), by: 2))
        XCTAssertTrue(c.isAccepting(end))
        XCTAssertEqual(Array(c.payloads(at: end)), [11])
        XCTAssertEqual(c.allowed(in: end), .only([]))
    }

    func testNegativeTokenIsATypedError() {
        var builder = PrefixTrieBuilder()
        builder.insert([1, 2], payload: 0)
        builder.insert([3, -4], payload: 1)
        XCTAssertThrowsError(try builder.freeze()) { error in
            XCTAssertEqual(error as? TrieError, .invalidToken(sequence: 1, position: 1, token: -4))
        }
    }

    func testBuildFromCandidateList() throws {
        let trie = try PrefixTrie.build([(tokens: [4, 5, 0], payload: 1), (tokens: [4, 0], payload: 2), (tokens: [8, 0], payload: UInt32.max)])
        XCTAssertEqual(trie.sequences().map(\.tokens), [[4, 0], [4, 5, 0], [8, 0]])
        XCTAssertEqual(trie.sequences().map(\.payloads), [[2], [1], [UInt32.max]])
    }

    func testBuilderReopensATrie() throws {
        var rng = SplitMix64(seed: 99)
        let set = RandomNameSet(seed: 13, rng: &rng)
        let trie = try set.build()
        XCTAssertEqual(try PrefixTrieBuilder(contentsOf: trie).freeze().serialized(), trie.serialized())
    }
}
