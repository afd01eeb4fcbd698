import TrellisCore
import TrellisTokenizer
import XCTest

final class StreamingDecoderTests: XCTestCase {
    func testMultiByteCharactersSplitAcrossTokensAreHeldUntilComplete() throws {
        let t = try TinyVocabulary().make()
        let ids = t.encode("a😀é")  // 1 + 4 + 2 single-byte tokens
        XCTAssertEqual(ids.count, 7)
        var decoder = StreamingDecoder(tokenizer: t)
        let outputs = ids.map { decoder.append($0) }
        XCTAssertEqual(outputs, ["a", "", "", "", "😀", "", "é"])
        XCTAssertEqual(decoder.pendingByteCount, 0)
        XCTAssertEqual(decoder.finish(), "")
    }

    func testInvalidBytesBecomeReplacementOnlyWhenCertain() {
        var decoder = StreamingDecoder(tokenizer: try! TinyVocabulary().make())
        // E2 82 could still become "€": hold it.
        XCTAssertEqual(decoder.append(bytes: [0xE2, 0x82]), "")
        XCTAssertEqual(decoder.pendingByteCount, 2)
        // "A" cannot continue it: now it is certainly invalid.
        XCTAssertEqual(decoder.append(bytes: [0x41]), "\u{FFFD}A")
        // A stray continuation byte or a never-valid byte is invalid at once.
        XCTAssertEqual(decoder.append(bytes: [0x80]), "\u{FFFD}")
        XCTAssertEqual(decoder.append(bytes: [0xFF]), "\u{FFFD}")
        // E0 80 is an overlong form: invalid without waiting for a third byte.
        XCTAssertEqual(decoder.append(bytes: [0xE0, 0x80]), "\u{FFFD}\u{FFFD}")
        // ED A0 would be a surrogate; F4 90 lies above U+10FFFF.
        XCTAssertEqual(decoder.append(bytes: [0xED, 0xA0]), "\u{FFFD}\u{FFFD}")
        XCTAssertEqual(decoder.append(bytes: [0xF4, 0x90]), "\u{FFFD}\u{FFFD}")
        // An incomplete tail at the end of the stream becomes one U+FFFD.
        XCTAssertEqual(decoder.append(bytes: [0xF0, 0x9F, 0x98]), "")
        XCTAssertEqual(decoder.finish(), "\u{FFFD}")
        XCTAssertEqual(decoder.pendingByteCount, 0)
    }

    /// Streaming output concatenates to the one-shot decoding of all bytes, for random byte
    /// streams cut at random points (mostly valid UTF-8 with some corruption).
    func testConcatenationEqualsOneShotDecodingOnRandomStreams() {
        let seed = UInt64.random(in: 0..<UInt64.max)
        var rng = SplitMix64(seed: seed)
        let samples = ["a", "é", "€", "😀", "東", "\u{10FFFF}", "\u{7FF}", "\u{800}", "\u{FFFF}", "\u{10000}"]
        for round in 0..<500 {
            var bytes: [UInt8] = []
            for _ in 0..<Int(rng.next() % 12) {
                if rng.next() % 6 == 0 {
                    bytes.append(UInt8(truncatingIfNeeded: rng.next()))
                } else {
                    bytes.append(contentsOf: samples[Int(rng.next() % UInt64(samples.count))].utf8)
                }
            }
            var decoder = StreamingDecoder(tokenizer: try! TinyVocabulary().make())
            var streamed = ""
            var i = 0
            while i < bytes.count {
                let n = min(bytes.count - i, 1 + Int(rng.next() % 4))
                let chunk = decoder.append(bytes: bytes[i..<(i + n)])
                streamed += chunk
                i += n
            }
            streamed += decoder.finish()
            XCTAssertEqual(streamed, String(decoding: bytes, as: UTF8.self), "seed \(seed) round \(round) bytes \(bytes)")
            if streamed != String(decoding: bytes, as: UTF8.self) { return }
        }
    }
}
