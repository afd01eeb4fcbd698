import TrellisCore
import TrellisTokenizer
import XCTest

/// Cutting special-token strings out of text before BPE.
final class SpecialTokenTests: XCTestCase {
    let vocabulary = TinyVocabulary(
        specials: [("<|im_start|>", .control), ("<|im_end|>", .control), ("<tag>", .userDefined),
                   ("<|x|>", .control), ("<|x|>y", .control), ("ab", .control), ("bcd", .control)],
        merges: [("u", "s"), ("us", "e"), ("use", "r")])

    func testChatMLMarkersBecomeTheirIdsWithParseSpecial() throws {
        let t = try vocabulary.make()
        let text = "<|im_start|>user\nHi<|im_end|>\n"
        let ids = t.encode(text, parseSpecial: true)
        XCTAssertEqual(ids.first, 0)
        XCTAssertEqual(t.pieces(text, parseSpecial: true), ["<|im_start|>", "user", "\n", "H", "i", "<|im_end|>", "\n"])
        XCTAssertTrue(t.isSpecial(0))
        XCTAssertEqual(t.tokenBytes(0), [])
        // Control tokens decode to nothing.
        XCTAssertEqual(t.decode(ids), "user\nHi\n")
    }

    func testWithoutParseSpecialMarkersArePlainText() throws {
        let t = try vocabulary.make()
        let text = "<|im_start|>user\nHi<|im_end|>"
        let ids = t.encode(text, parseSpecial: false)
        XCTAssertFalse(ids.contains { t.isSpecial($0) })
        XCTAssertEqual(t.decode(ids), text)
    }

    func testUserDefinedTokensMatchEitherWayAndDecodeToTheirText() throws {
        let t = try vocabulary.make()
        for parse in [false, true] {
            XCTAssertEqual(t.encode("a<tag>b", parseSpecial: parse), [t.id("a"), 2, t.id("b")])
        }
        XCTAssertFalse(t.isSpecial(2))
        XCTAssertEqual(t.decode([2]), "<tag>")
    }

    func testLongestTokenWinsAndClaimsFirst() throws {
        let t = try vocabulary.make()
        XCTAssertEqual(t.encode("<|x|>y", parseSpecial: true), [4])
        XCTAssertEqual(t.encode("<|x|>z", parseSpecial: true), [3, t.id("z")])
        // "bcd" is longer than "ab", so it claims its occurrence first (llama.cpp's order).
        XCTAssertEqual(t.encode("abcd", parseSpecial: true), [t.id("a"), 6])
        XCTAssertEqual(t.encode("abab", parseSpecial: true), [5, 5])
        XCTAssertEqual(t.encode("<|im_start|><|im_start|>", parseSpecial: true), [0, 0])
        // A marker cut short is plain text.
        XCTAssertEqual(t.decode(t.encode("<|im_start", parseSpecial: true)), "<|im_start")
    }

    func testTextAroundMarkersIsPreTokenizedSeparately() throws {
        let t = try vocabulary.make()
        // Without the cut, " user" would be one word; after it, "user" starts a fresh piece.
        XCTAssertEqual(t.pieces(" <|im_end|>user", parseSpecial: true), [" ", "<|im_end|>", "user"])
    }
}
