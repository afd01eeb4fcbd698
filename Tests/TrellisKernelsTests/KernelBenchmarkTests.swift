import Foundation
import TrellisKernels
import XCTest

/// The kernel benchmark, run only on request: `TRELLIS_BENCH=1 swift test -c release --filter KernelBenchmarkTests`.
final class KernelBenchmarkTests: XCTestCase {
    func testPrintBenchmark() throws {
        try XCTSkipUnless(ProcessInfo.processInfo.environment["TRELLIS_BENCH"] == "1",
                          "set TRELLIS_BENCH=1 (and build with -c release) to run the kernel benchmark")
        let report = try KernelBenchmark.run()
        print(report)
        XCTAssertFalse(report.isEmpty)
    }
}
