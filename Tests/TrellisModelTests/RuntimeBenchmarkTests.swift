import Foundation
import XCTest
import TrellisTestSupport
@testable import TrellisModel

/// The runtime benchmark, on demand only: `TRELLIS_BENCH=1 swift test -c release -Xswiftc
/// -enable-testing --filter RuntimeBenchmarkTests` (timings in debug builds are meaningless;
/// TRELLIS_BENCH_ROUNDS, TRELLIS_BENCH_STEPS and TRELLIS_THREADS adjust the run).
final class RuntimeBenchmarkTests: XCTestCase {
    func testRuntimeBenchmark() throws {
        guard ProcessInfo.processInfo.environment["TRELLIS_BENCH"] != nil else {
            throw XCTSkip("set TRELLIS_BENCH=1 (and build with -c release) to run the runtime benchmark")
        }
        guard let path = TestPaths.defaultModel else { throw XCTSkip("default model absent") }
        let rounds = Int(ProcessInfo.processInfo.environment["TRELLIS_BENCH_ROUNDS"] ?? "") ?? 5
        let steps = Int(ProcessInfo.processInfo.environment["TRELLIS_BENCH_STEPS"] ?? "") ?? 64
        let threads = Int(ProcessInfo.processInfo.environment["TRELLIS_THREADS"] ?? "")
        let report = try RuntimeBenchmark(rounds: rounds, decodeSteps: steps)
            .run(modelPath: path, options: RuntimeOptions(threads: threads))
        print(report)
        XCTAssertGreaterThan(report.decode1, 0)
        XCTAssertGreaterThan(report.peakResidentBytes, 0)
    }

    func testBenchmarkRunsOnTinyModel() throws {
        var spec = TinyTransformerSpec()
        spec.contextLength = 600
        let path = try TinyTransformerGGUF.write(spec)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let report = try RuntimeBenchmark(rounds: 1, decodeSteps: 4).run(modelPath: path)
        XCTAssertGreaterThan(report.prefill512, 0)
        XCTAssertGreaterThan(report.decode8, 0)
        XCTAssertNotNil(report.loadSeconds)
        XCTAssertFalse(report.openBLASCore.isEmpty)
        XCTAssertTrue(report.description.contains("decode, 8 sequences"))
    }
}
