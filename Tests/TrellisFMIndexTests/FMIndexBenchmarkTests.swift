import XCTest
import Foundation
import TrellisFMIndex

final class FMIndexBenchmarkTests: XCTestCase {
    /// A tiny run proves the report works; `FMINDEX_BENCH_TOKENS=10000000` (release) gives the real numbers.
    func testBenchmarkReport() throws {
        let tokens = Int(ProcessInfo.processInfo.environment["FMINDEX_BENCH_TOKENS"] ?? "") ?? 50_000
        let report = try FMIndexBenchmark.run(tokenCount: tokens)
        print(report)
        XCTAssertTrue(report.contains("bytes/token"))
        XCTAssertTrue(report.contains("depth 4"))
    }
}
