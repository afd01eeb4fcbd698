import Foundation
import XCTest
import TrellisCore
import TrellisTestSupport
@testable import TrellisTrie

final class PrefixTrieTests: XCTestCase {
    /// Random name sets, including degenerate ones, against a brute-force dictionary.
    func testAgreesWithBruteForceOnRandomNameSets() throws {
        for seed in UInt64(1)...60 {
            var rng = TestRandom(seed: seed)
            let vocab = [1, 2, 3, 7, 50][Int(seed % 5)]
            let count = seed % 10 == 0 ? 0 : Int.random(in: 1...80, using: &rng)
            var reference: [[TokenID]: Set<UInt32>] = [:]
            var builder = PrefixTrieBuilder()
            for i in 0..<count {
                let length = Int.random(in: (seed % 7 == 0 ? 0 : 1)...6, using: &rng)
                let seq = (0..<length).map { _ in TokenID(Int.random(in: 0..<vocab, using: &rng)) }
                let payload = UInt32(Int.random(in: 0...3, using: &rng) == 0 ? 0 : i)
                builder.insert(seq, payload: payload)
                reference[seq, default: []].insert(payload)
                if Bool.random(using: &rng) { builder.insert(seq, payload: payload) }  // exact duplicates
            }
            let trie = try builder.build()
            // Enumeration equals the stored set.
            var seen: [[TokenID]: Set<UInt32>] = [:]
            trie.enumerate { seq, payloads in seen[seq] = Set(payloads) }
            XCTAssertEqual(seen, reference, "seed \(seed)")
            // Every prefix of every stored sequence: continuations equal brute force.
            var prefixes = Set<[TokenID]>()
            for seq in reference.keys { for k in 0...seq.count { prefixes.insert(Array(seq.prefix(k))) } }
            for prefix in prefixes {
                let node = try XCTUnwrap(trie.walk(prefix), "seed \(seed) prefix \(prefix)")
                let expected = Set(reference.keys.filter { $0.count > prefix.count && Array($0.prefix(prefix.count)) == prefix }.map { $0[prefix.count] })
                XCTAssertEqual(Array(trie.children(of: node)), expected.sorted(), "seed \(seed) prefix \(prefix)")
                XCTAssertEqual(trie.isTerminal(node), reference[prefix] != nil, "seed \(seed)")
            }
            // Something not stored.
            XCTAssertNil(trie.walk([TokenID(vocab + 1)]))
            // Round trip through bytes is identical.
            let again = try PrefixTrie(serialized: trie.serialized())
            XCTAssertEqual(again.serialized(), trie.serialized())
            XCTAssertLessThanOrEqual(trie.sizeInBytes, 40 + 16 * reference.keys.reduce(0) { $0 + $1.count } + 4 * trie.payloadCount)
        }
    }

    func testConstraintAllowsOnlyStoredContinuations() throws {
        var b = PrefixTrieBuilder()
        b.insert([5, 6, 2], payload: 10)
        b.insert([5, 7, 2], payload: 11)
        b.insert([9, 2], payload: 12)
        let c = PrefixTrieConstraint(trie: try b.build())
        XCTAssertEqual(c.allowed(in: c.initialState), .only([5, 9]))
        let s = try XCTUnwrap(c.advance(c.initialState, by: 5))
        XCTAssertEqual(c.allowed(in: s), .only([6, 7]))
        XCTAssertNil(c.advance(s, by: 9))
        let end = try XCTUnwrap(c.advance(try XCTUnwrap(c.advance(s, by: 7)), by: 2))
        XCTAssertTrue(c.isAccepting(end))
        XCTAssertEqual(Array(c.trie.payloads(at: end)), [11])
        XCTAssertEqual(c.allowed(in: end), .only([]))
    }

    func testUnionOverlaysAddedNames() throws {
        var base = PrefixTrieBuilder()
        base.insert([1, 2, 0], payload: 1)
        var overlay = PrefixTrieBuilder()
        overlay.insert([1, 3, 0], payload: 2)
        overlay.insert([1, 2, 0], payload: 3)
        let u = TrieUnionConstraint(tries: [try base.build(), try overlay.build()])
        XCTAssertEqual(u.allowed(in: u.initialState), .only([1]))
        let s = try XCTUnwrap(u.advance(u.initialState, by: 1))
        XCTAssertEqual(u.allowed(in: s), .only([2, 3]))
        let end = try XCTUnwrap(u.advance(try XCTUnwrap(u.advance(s, by: 2)), by: 0))
        XCTAssertEqual(u.payloads(at: end).sorted(), [1, 3])
        let other = try XCTUnwrap(u.advance(try XCTUnwrap(u.advance(s, by: 3)), by: 0))
        XCTAssertEqual(u.payloads(at: other), [2])
    }

    func testFileRoundTripAndCorruptionIsAnError() throws {
        var b = PrefixTrieBuilder()
        var rng = TestRandom(seed: 42)
        for i in 0..<200 { b.insert((0..<Int.random(in: 1...5, using: &rng)).map { _ in TokenID.random(in: 0..<30, using: &rng) }, payload: UInt32(i)) }
        let trie = try b.build()
        let path = temporaryPath(".trie")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try trie.write(to: path)
        let loaded = try PrefixTrie(path: path)
        XCTAssertEqual(loaded.serialized(), trie.serialized())
        let bytes = trie.serialized()
        // Truncations and random damage: an error or a valid trie, never a crash.
        for cut in [0, 3, 23, 24, bytes.count - 1] {
            XCTAssertThrowsError(try PrefixTrie(serialized: Array(bytes.prefix(cut))))
        }
        for _ in 0..<300 {
            var damaged = bytes
            damaged[Int.random(in: 0..<damaged.count, using: &rng)] ^= UInt8.random(in: 1...255, using: &rng)
            if let t = try? PrefixTrie(serialized: damaged) {
                // Whatever validated must still be safe to traverse.
                var count = 0
                t.enumerate { _, _ in count += 1 }
                _ = count
            }
        }
        XCTAssertThrowsError(try PrefixTrie(serialized: Array("not a trie at all......".utf8)))
    }
}
