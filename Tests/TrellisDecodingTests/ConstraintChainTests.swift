import TrellisCore
import TrellisDecoding
import TrellisTestSupport
import TrellisTrie
import XCTest

final class ConstraintChainTests: XCTestCase {
    /// Intersections of every pair of representations equal the set intersection.
    func testIntersectionOfEveryRepresentationMatchesSets() {
        var rng = SplitMix64(seed: 8)
        let vocab = 70
        func random() -> (AllowedTokens, Set<TokenID>) {
            let set = Set((0..<Int.random(in: 0...40, using: &rng)).map { _ in TokenID.random(in: 0..<TokenID(vocab), using: &rng) })
            switch Int.random(in: 0..<3, using: &rng) {
            case 0: return (.all, Set((0..<vocab).map { TokenID($0) }))
            case 1: return (.only(set.sorted()), set)
            default: return (.mask(TokenMask(count: vocab, allowing: set)), set)
            }
        }
        for trial in 0..<500 {
            let (a, x) = random(), (b, y) = random()
            let c = ConstraintChain<Unconstrained, Unconstrained>.intersect(a, b)
            let tokens: Set<TokenID>
            switch c {
            case .all: tokens = Set((0..<vocab).map { TokenID($0) })
            case .only(let list):
                XCTAssertEqual(list, list.sorted(), "trial \(trial)")
                tokens = Set(list)
            case .mask(let m): tokens = Set(m.tokens)
            }
            XCTAssertEqual(tokens, x.intersection(y), "trial \(trial)")
        }
    }

    func testChainRequiresBothConstraints() throws {
        let trie = try PrefixTrie.build([(tokens: [1, 2, 0], payload: 0), (tokens: [1, 3, 0], payload: 1), (tokens: [2, 0], payload: 2)])
        let chain = ConstraintChain(PrefixTrieConstraint(trie: trie), ParityMaskConstraint(vocabularySize: 4))
        let s0 = chain.initialState
        XCTAssertEqual(chain.allowed(in: s0), .only([1, 2]))
        let s1 = try XCTUnwrap(chain.advance(s0, by: 1))  // parity sum 1
        XCTAssertEqual(chain.allowed(in: s1), .only([3]), "2 would make the sum 3")
        XCTAssertNil(chain.advance(s1, by: 2))
        let s2 = try XCTUnwrap(chain.advance(try XCTUnwrap(chain.advance(s1, by: 3)), by: 0))
        XCTAssertTrue(chain.isAccepting(s2), "trie terminal and sum 0")
        let s3 = try XCTUnwrap(chain.advance(try XCTUnwrap(chain.advance(s0, by: 2)), by: 0))
        XCTAssertTrue(chain.isAccepting(s3))
        XCTAssertFalse(chain.biasesLogits)
        XCTAssertTrue(ConstraintChain(Unconstrained(), BonusConstraint(favoured: 1, bonus: 1)).biasesLogits)
    }
}
