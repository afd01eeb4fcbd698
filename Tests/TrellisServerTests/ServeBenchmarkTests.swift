import Foundation
@testable import TrellisServer
import XCTest

/// `ServeBenchmark` against in-process servers on loopback, bounded in count and time. The
/// memory figures are of the test process (server and client threads together).
/// `TRELLIS_BENCH_SERVE=1` adds the issue's long run: 10,000 mixed requests at concurrency 32.
final class ServeBenchmarkTests: XCTestCase {
    func testMixedLoadAtConcurrency1_8_32HasNoErrors() throws {
        let fixture = try ServerFixture()
        defer { fixture.shutdown() }
        for concurrency in [1, 8, 32] {
            let report = try ServeBenchmark.run(port: fixture.port, totalRequests: 600, concurrency: concurrency, timeLimit: 60)
            print("mixed fake backend: \(report)")
            XCTAssertEqual(report.errors, 0, report.errorSamples.joined(separator: "\n"))
            XCTAssertEqual(report.requests, 600)
            XCTAssertEqual(report.perEntry, ["link": 200, "search": 200, "generate": 200])
            XCTAssertLessThanOrEqual(report.p50Milliseconds, report.p99Milliseconds)
            XCTAssertNotNil(report.serverPeakKiB)
        }
    }

    func testGenerateThroughputScalesWithConcurrencyThroughBatching() throws {
        // A model whose forward pass costs 4 ms whatever the batch: batching is the only way up.
        let backend = BatchedModelBackend(delayPerCall: 0.004)
        let fixture = try RunningFixture(server: try TrellisHTTPServer(backend: backend))
        defer { fixture.shutdown() }
        let mix = [ServeBenchmark.MixEntry(name: "generate", path: "/v1/generate", json: #"{"prompt": "tell me", "max_tokens": 16}"#)]
        let one = try ServeBenchmark.run(port: fixture.port, mix: mix, totalRequests: 24, concurrency: 1, timeLimit: 60)
        let eight = try ServeBenchmark.run(port: fixture.port, mix: mix, totalRequests: 96, concurrency: 8, timeLimit: 60)
        let many = try ServeBenchmark.run(port: fixture.port, mix: mix, totalRequests: 192, concurrency: 32, timeLimit: 60)
        print("batched generate: \(one)\nbatched generate: \(eight)\nbatched generate: \(many)")
        print(String(format: "generate throughput c=8 / c=1 = %.1f×, c=32 / c=1 = %.1f×",
                     eight.throughput / one.throughput, many.throughput / one.throughput))
        XCTAssertEqual(one.errors + eight.errors + many.errors, 0)
        XCTAssertGreaterThan(eight.throughput, 3 * one.throughput, "batching should make c=8 at least 3× c=1")
    }

    func testLongMixedRunAtConcurrency32KeepsMemoryFlat() throws {
        guard ProcessInfo.processInfo.environment["TRELLIS_BENCH_SERVE"] == "1" else {
            throw XCTSkip("set TRELLIS_BENCH_SERVE=1 for the 10,000-request run")
        }
        let total = Int(ProcessInfo.processInfo.environment["TRELLIS_BENCH_SERVE_REQUESTS"] ?? "") ?? 10_000
        let fixture = try ServerFixture()
        defer { fixture.shutdown() }
        let report = try ServeBenchmark.run(port: fixture.port, totalRequests: total, concurrency: 32, timeLimit: 300)
        print("long run: \(report)")
        print("RSS samples (KiB) every 1000 requests: \(report.serverRSSSamplesKiB)")
        print("peak memory: \(report.serverPeakKiB.map(String.init) ?? "?") KiB")
        XCTAssertEqual(report.errors, 0, report.errorSamples.joined(separator: "\n"))
        XCTAssertEqual(report.requests, total)
        if let first = report.serverRSSSamplesKiB.first, let last = report.serverRSSSamplesKiB.last {
            XCTAssertLessThan(Double(last), Double(first) * 1.2 + 8192, "memory grew from \(first) to \(last) KiB")
        }
    }
}
