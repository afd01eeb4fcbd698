import Foundation
import TrellisTestSupport
import TrellisTrie
import XCTest

/// Runs the trie benchmark on 20,000 synthetic names (seconds in a debug build) and checks the
/// size bound; `TRELLIS_BENCH_TRIE_NAMES=1000000` measures the target size.
final class PrefixTrieBenchmarkTests: XCTestCase {
    func testSyntheticNamesBenchmark() throws {
        let count = ProcessInfo.processInfo.environment["TRELLIS_BENCH_TRIE_NAMES"].flatMap(Int.init) ?? 20_000
        let folder = try TemporaryFolder()
        let report = try PrefixTrieBenchmark.run(count: count, path: folder.path("bench.trie"), steps: 100_000)
        print(report)
        XCTAssertEqual(report.names, count)
        XCTAssertLessThanOrEqual(report.bytesPerInputToken, 16, "the issue's bound: at most 16 bytes per stored token")
        XCTAssertLessThan(report.nodes, report.inputTokens + 1)
        XCTAssertEqual(PrefixTrieBenchmark.syntheticNames(count: 50), PrefixTrieBenchmark.syntheticNames(count: 50), "seeded")
        let lengths = PrefixTrieBenchmark.syntheticNames(count: 1000).map(\.count)
        XCTAssertEqual(lengths.min(), 3)
        XCTAssertEqual(lengths.max(), 12)
    }
}
