import Foundation
import TrellisCore
import TrellisTestSupport
import TrellisTokenizer
import XCTest

/// Encoding speed on about 1 MB of English (the reference's English abstracts, repeated).
/// The tokenizer module is compiled with -O in every configuration, so the figure printed here
/// is meaningful in a debug test run too.
final class TokenizerThroughputTests: XCTestCase {
    func testEncodeOneMegabyteOfEnglish() throws {
        let tokenizer = try SmolLM2GoldenTests.tokenizer()
        let reference = try SmolLM2GoldenTests.reference()
        let english = reference.cases.map(\.text).filter { $0.count > 200 && $0.unicodeScalars.allSatisfy(\.isASCII) }
        XCTAssertFalse(english.isEmpty)
        var text = ""
        var i = 0
        while text.utf8.count < 1 << 20 {
            text += english[i % english.count] + "\n\n"
            i += 1
        }
        _ = tokenizer.encode(String(text.prefix(10_000)))  // warm up the class table
        var best = Double.infinity
        var ids: [TokenID] = []
        for _ in 0..<3 {
            let start = DispatchTime.now().uptimeNanoseconds
            ids = tokenizer.encode(text)
            best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        XCTAssertEqual(tokenizer.decode(ids), text)
        print(String(format: "encode %d bytes -> %d tokens: %.1f ms, %.2f M tokens/s, %.1f MB/s",
                     text.utf8.count, ids.count, best * 1e3, Double(ids.count) / best / 1e6,
                     Double(text.utf8.count) / best / 1e6))
    }
}
