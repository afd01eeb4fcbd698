import Foundation

/// A load generator for a Trellis server on loopback: N requests from a fixed mix (link, search,
/// generate) at a given concurrency, each worker a thread with its own keep-alive connection.
/// Reports throughput, p50/p99 latency, errors, and the server process's memory from
/// `/proc/PID/status` (VmHWM peak and VmRSS, sampled after every `memorySampleEvery` requests so
/// growth between the first and last thousand shows).
///
/// Bounded by both `totalRequests` and `timeLimit`; refuses non-loopback hosts. The latency is
/// measured by the client, request bytes out to last response byte in.
public enum ServeBenchmark {
    /// One request of the mix.
    public struct MixEntry: Sendable {
        public var name: String
        public var method: String
        public var path: String
        public var body: [UInt8]

        public init(name: String, method: String = "POST", path: String, json: String) {
            self.name = name
            self.method = method
            self.path = path
            self.body = Array(json.utf8)
        }
    }

    public struct Report: Sendable, CustomStringConvertible {
        public var concurrency: Int
        public var requests: Int
        public var errors: Int
        public var seconds: Double
        public var p50Milliseconds: Double
        public var p99Milliseconds: Double
        /// Requests per mix entry name.
        public var perEntry: [String: Int]
        /// Server VmHWM (peak resident set) in KiB after the run, if readable.
        public var serverPeakKiB: Int?
        /// Server VmRSS samples (KiB) taken during the run, in order.
        public var serverRSSSamplesKiB: [Int]
        /// First error messages seen (at most 5).
        public var errorSamples: [String]
        /// Sum of the `completion_tokens` the answers reported (generate endpoints).
        public var completionTokens: Int = 0

        public var throughput: Double { seconds > 0 ? Double(requests) / seconds : 0 }
        /// Completion tokens per second over the whole run.
        public var tokensPerSecond: Double { seconds > 0 ? Double(completionTokens) / seconds : 0 }

        public var description: String {
            var line = String(format: "c=%-3d n=%-6d errors=%-4d %.1f req/s  p50 %.2f ms  p99 %.2f ms",
                              concurrency, requests, errors, throughput, p50Milliseconds, p99Milliseconds)
            if completionTokens > 0 {
                line += String(format: "  %d tokens in %.2f s, %.1f tokens/s", completionTokens, seconds, tokensPerSecond)
            }
            if let serverPeakKiB { line += String(format: "  server peak %.1f MiB", Double(serverPeakKiB) / 1024) }
            if let first = serverRSSSamplesKiB.first, let last = serverRSSSamplesKiB.last {
                line += String(format: "  RSS %.1f → %.1f MiB", Double(first) / 1024, Double(last) / 1024)
            }
            return line
        }
    }

    /// A fixed mix of the three task endpoints (small bodies that every backend accepts).
    public static let defaultMix: [MixEntry] = [
        MixEntry(name: "link", path: "/v1/link", json: #"{"text":"[Paris] is the capital of [France].","top_k":3}"#),
        MixEntry(name: "search", path: "/v1/search", json: #"{"query":"list comprehension syntax","mode":"bm25","top_k":5}"#),
        MixEntry(name: "generate", path: "/v1/generate",
                 json: #"{"prompt":"Write one sentence about a dog.","max_tokens":16,"constraint":{"keywords":["dog",["frisbee","frisbees"]]}}"#),
    ]

    /// Runs `totalRequests` requests (round-robin over `mix`) at `concurrency` against
    /// `host:port`, stopping early at `timeLimit` seconds.
    public static func run(host: String = "127.0.0.1", port: Int, mix: [MixEntry] = defaultMix,
                           totalRequests: Int, concurrency: Int, timeLimit: TimeInterval = 120,
                           serverPID: Int32? = nil, memorySampleEvery: Int = 1000) throws -> Report {
        precondition(!mix.isEmpty && totalRequests > 0 && concurrency > 0)
        _ = try LoopbackHTTPConnection(host: host, port: port)  // refuses non-loopback hosts up front
        let state = SharedState(total: totalRequests)
        let deadline = Date().addingTimeInterval(timeLimit)
        let group = DispatchGroup()
        let started = Date()
        let pid = serverPID ?? getpid()
        for _ in 0..<concurrency {
            group.enter()
            let thread = Thread {
                defer { group.leave() }
                var connection = try? LoopbackHTTPConnection(host: host, port: port, timeout: min(timeLimit, 60))
                while Date() < deadline, let index = state.claim() {
                    let entry = mix[index % mix.count]
                    let t0 = DispatchTime.now().uptimeNanoseconds
                    var failure: String?
                    var tokens = 0
                    do {
                        guard let conn = connection else { throw LoopbackHTTPError.notLoopback(host) }
                        let response = try conn.send(method: entry.method, path: entry.path, body: entry.body)
                        if !(200..<300).contains(response.status) {
                            failure = "\(entry.name): HTTP \(response.status) \(response.bodyText.prefix(200))"
                        }
                        tokens = completionTokens(in: response.bodyText)
                    } catch {
                        failure = "\(entry.name): \(error)"
                        connection?.close()
                        connection = try? LoopbackHTTPConnection(host: host, port: port, timeout: min(timeLimit, 60))
                    }
                    let elapsed = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6
                    let done = state.record(latencyMilliseconds: elapsed, entry: entry.name, failure: failure, tokens: tokens)
                    if done % memorySampleEvery == 0, let rss = readStatusKiB(pid: pid, field: "VmRSS") {
                        state.sample(rss)
                    }
                }
                connection?.close()
            }
            thread.start()
        }
        group.wait()
        let seconds = Date().timeIntervalSince(started)
        let result = state.snapshot()
        let latencies = result.latencies.sorted()
        func percentile(_ p: Double) -> Double {
            guard !latencies.isEmpty else { return 0 }
            let rank = Int((p * Double(latencies.count - 1)).rounded())
            return latencies[min(latencies.count - 1, max(0, rank))]
        }
        var samples = result.rssSamples
        if let rss = readStatusKiB(pid: pid, field: "VmRSS") { samples.append(rss) }
        return Report(concurrency: concurrency, requests: latencies.count, errors: result.errors, seconds: seconds,
                      p50Milliseconds: percentile(0.50), p99Milliseconds: percentile(0.99), perEntry: result.perEntry,
                      serverPeakKiB: readStatusKiB(pid: pid, field: "VmHWM"), serverRSSSamplesKiB: samples,
                      errorSamples: result.errorSamples, completionTokens: result.completionTokens)
    }

    /// The integer after `"completion_tokens":` in a JSON answer (0 if absent).
    static func completionTokens(in body: String) -> Int {
        guard let key = body.range(of: "\"completion_tokens\"") else { return 0 }
        let digits = body[key.upperBound...].drop { $0 == ":" || $0 == " " }.prefix { $0.isNumber }
        return Int(digits) ?? 0
    }

    /// A `kB` field of `/proc/PID/status` (VmHWM, VmRSS), or nil where unreadable.
    public static func readStatusKiB(pid: Int32, field: String) -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix(field + ":") {
            return Int(line.split(whereSeparator: { $0 == " " || $0 == "\t" })[1])
        }
        return nil
    }

    /// Counters shared by the worker threads, guarded by `lock`.
    private final class SharedState: @unchecked Sendable {
        struct Snapshot {
            var latencies: [Double]
            var errors: Int
            var perEntry: [String: Int]
            var rssSamples: [Int]
            var errorSamples: [String]
            var completionTokens = 0
        }

        private let lock = NSLock()
        private let total: Int
        private var claimed = 0
        private var data = Snapshot(latencies: [], errors: 0, perEntry: [:], rssSamples: [], errorSamples: [])

        init(total: Int) {
            self.total = total
            data.latencies.reserveCapacity(total)
        }

        func claim() -> Int? {
            lock.lock(); defer { lock.unlock() }
            guard claimed < total else { return nil }
            claimed += 1
            return claimed - 1
        }

        func record(latencyMilliseconds: Double, entry: String, failure: String?, tokens: Int) -> Int {
            lock.lock(); defer { lock.unlock() }
            data.completionTokens += tokens
            data.latencies.append(latencyMilliseconds)
            data.perEntry[entry, default: 0] += 1
            if let failure {
                data.errors += 1
                if data.errorSamples.count < 5 { data.errorSamples.append(failure) }
            }
            return data.latencies.count
        }

        func sample(_ rss: Int) {
            lock.lock(); defer { lock.unlock() }
            data.rssSamples.append(rss)
        }

        func snapshot() -> Snapshot {
            lock.lock(); defer { lock.unlock() }
            return data
        }
    }
}
