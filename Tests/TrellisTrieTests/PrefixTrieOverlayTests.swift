import TrellisCore
import TrellisTestSupport
import TrellisTrie
import XCTest

final class PrefixTrieOverlayTests: XCTestCase {
    /// Base names plus names added in several batches behave exactly like one trie of all names.
    func testOverlayEqualsTrieOfAllNames() throws {
        for seed in UInt64(1)...60 {
            var rng = SplitMix64(seed: seed)
            let baseSet = RandomNameSet(seed: seed, rng: &rng)
            var overlay = try PrefixTrieOverlay(base: try baseSet.build())
            var reference = baseSet.reference
            var everything = PrefixTrieBuilder()
            for e in baseSet.entries { everything.insert(e.tokens, payload: e.payload) }
            for batch in 0..<3 {
                let added = RandomNameSet(seed: seed &* 31 &+ UInt64(batch), rng: &rng)
                overlay = try overlay.adding(added.entries)
                for e in added.entries {
                    reference.insert(e.tokens, payload: e.payload)
                    everything.insert(e.tokens, payload: e.payload)
                }
            }
            let single = try everything.freeze()
            let constraint = PrefixTrieOverlayConstraint(overlay: overlay)
            for prefix in reference.prefixes {
                var cursor = overlay.root
                var state = constraint.initialState
                for t in prefix {
                    cursor = try XCTUnwrap(overlay.step(cursor, token: t), "seed \(seed) prefix \(prefix)")
                    state = try XCTUnwrap(constraint.advance(state, by: t))
                }
                let node = try XCTUnwrap(single.walk(prefix))
                XCTAssertEqual(overlay.children(of: cursor), reference.continuations(of: prefix), "seed \(seed) prefix \(prefix)")
                XCTAssertEqual(constraint.allowed(in: state), .only(Array(single.children(of: node))), "seed \(seed)")
                XCTAssertEqual(overlay.isTerminal(cursor), reference.names[prefix] != nil, "seed \(seed)")
                XCTAssertEqual(constraint.isAccepting(state), single.isTerminal(node))
                XCTAssertEqual(overlay.payloads(at: cursor), (reference.names[prefix] ?? []).sorted(), "seed \(seed)")
                XCTAssertNil(overlay.step(cursor, token: -1))
            }
        }
    }

    func testAddedNameLinksWithoutTouchingTheBase() throws {
        var base = PrefixTrieBuilder()
        base.insert([1, 2, 0], payload: 1)
        let frozen = try base.freeze()
        let before = frozen.serialized()
        let overlay = try PrefixTrieOverlay(base: frozen).adding([(tokens: [1, 3, 0], payload: 2), (tokens: [1, 2, 0], payload: 3)])
        let c = PrefixTrieOverlayConstraint(overlay: overlay)
        XCTAssertEqual(c.allowed(in: c.initialState), .only([1]))
        let s = try XCTUnwrap(c.advance(c.initialState, by: 1))
        XCTAssertEqual(c.allowed(in: s), .only([2, 3]))
        let shared = try XCTUnwrap(c.advance(try XCTUnwrap(c.advance(s, by: 2)), by: 0))
        XCTAssertEqual(c.payloads(at: shared), [1, 3])
        let added = try XCTUnwrap(c.advance(try XCTUnwrap(c.advance(s, by: 3)), by: 0))
        XCTAssertEqual(c.payloads(at: added), [2])
        XCTAssertNil(added.baseNode, "the base trie was left at token 3")
        XCTAssertEqual(frozen.serialized(), before)
    }
}
