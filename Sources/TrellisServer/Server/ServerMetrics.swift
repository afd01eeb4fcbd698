import Foundation
import NIOConcurrencyHelpers

/// Counters and latency histograms of the server, rendered in the Prometheus text exposition
/// format (version 0.0.4) for `GET /metrics`.
///
/// Label cardinality is bounded: `endpoint` is one of the served paths or `unmatched`, and
/// `status` is an HTTP status code. Recording is O(buckets) under one lock.
final class ServerMetrics: Sendable {
    /// Upper bounds (seconds) of the latency histogram buckets; +Inf is implied.
    static let latencyBuckets: [Double] = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120]

    private struct RequestKey: Hashable {
        let endpoint: String
        let status: Int
    }

    private struct Histogram {
        var bucketCounts = [Int](repeating: 0, count: ServerMetrics.latencyBuckets.count)
        var count = 0
        var sum = 0.0
    }

    private struct State {
        var requests: [RequestKey: Int] = [:]
        var latency: [String: Histogram] = [:]
        var promptTokens = 0
        var generatedTokens = 0
        var generationSeconds = 0.0
        var cancelledRequests = 0
        /// Tokens generated per whole second of uptime, over the last `rateWindow` seconds
        /// (a ring indexed by second), for the tokens/s gauge.
        var tokensBySecond = [Int](repeating: 0, count: ServerMetrics.rateWindow)
        var secondOfSlot = [Int](repeating: -1, count: ServerMetrics.rateWindow)
    }

    /// Seconds the tokens/s gauge averages over.
    static let rateWindow = 30

    private let state = NIOLockedValueBox(State())
    let startedAt = Date()

    func recordRequest(endpoint: String, status: Int, seconds: Double) {
        state.withLockedValue { s in
            s.requests[RequestKey(endpoint: endpoint, status: status), default: 0] += 1
            var histogram = s.latency[endpoint] ?? Histogram()
            for (i, bound) in Self.latencyBuckets.enumerated() where seconds <= bound { histogram.bucketCounts[i] += 1 }
            histogram.count += 1
            histogram.sum += seconds
            s.latency[endpoint] = histogram
        }
    }

    func recordGeneration(promptTokens: Int, generatedTokens: Int, seconds: Double) {
        state.withLockedValue { s in
            s.promptTokens += promptTokens
            s.generatedTokens += generatedTokens
            s.generationSeconds += seconds
            Self.addToRate(&s, tokens: generatedTokens, second: Int(Date().timeIntervalSince(startedAt)))
        }
    }

    /// Puts `tokens` in the ring slot of `second`, clearing a slot left from an older window.
    private static func addToRate(_ s: inout State, tokens: Int, second: Int) {
        let slot = second % rateWindow
        if s.secondOfSlot[slot] != second {
            s.secondOfSlot[slot] = second
            s.tokensBySecond[slot] = 0
        }
        s.tokensBySecond[slot] += tokens
    }

    /// Generated tokens per second over the last `rateWindow` seconds up to now (all requests
    /// together); the current, partial second counts, and a young server divides by its uptime.
    private static func tokensPerSecond(_ s: State, uptime: Double) -> Double {
        let now = Int(uptime)
        var total = 0
        for slot in 0..<rateWindow where s.secondOfSlot[slot] > now - rateWindow && s.secondOfSlot[slot] <= now {
            total += s.tokensBySecond[slot]
        }
        return Double(total) / max(min(Double(rateWindow), uptime), 1)
    }

    func recordCancellation() {
        state.withLockedValue { $0.cancelledRequests += 1 }
    }

    /// Total requests answered with `status` on `endpoint` (for tests).
    func requestCount(endpoint: String, status: Int) -> Int {
        state.withLockedValue { $0.requests[RequestKey(endpoint: endpoint, status: status)] ?? 0 }
    }

    func render(inFlight: Int, queued: Int, backend: BackendStatistics) -> String {
        let s = state.withLockedValue { $0 }
        var out = ""
        func line(_ text: String) { out += text + "\n" }

        line("# HELP trellis_http_requests_total HTTP requests answered, by endpoint and status.")
        line("# TYPE trellis_http_requests_total counter")
        for (key, count) in s.requests.sorted(by: { ($0.key.endpoint, $0.key.status) < ($1.key.endpoint, $1.key.status) }) {
            line("trellis_http_requests_total{endpoint=\"\(key.endpoint)\",status=\"\(key.status)\"} \(count)")
        }
        line("# HELP trellis_http_request_duration_seconds Time from request head to response head (first byte of a stream).")
        line("# TYPE trellis_http_request_duration_seconds histogram")
        for (endpoint, h) in s.latency.sorted(by: { $0.key < $1.key }) {
            for (i, bound) in Self.latencyBuckets.enumerated() {
                line("trellis_http_request_duration_seconds_bucket{endpoint=\"\(endpoint)\",le=\"\(Self.format(bound))\"} \(h.bucketCounts[i])")
            }
            line("trellis_http_request_duration_seconds_bucket{endpoint=\"\(endpoint)\",le=\"+Inf\"} \(h.count)")
            line("trellis_http_request_duration_seconds_sum{endpoint=\"\(endpoint)\"} \(Self.format(h.sum))")
            line("trellis_http_request_duration_seconds_count{endpoint=\"\(endpoint)\"} \(h.count)")
        }
        line("# HELP trellis_prompt_tokens_total Prompt tokens of finished generations.")
        line("# TYPE trellis_prompt_tokens_total counter")
        line("trellis_prompt_tokens_total \(s.promptTokens)")
        line("# HELP trellis_generated_tokens_total Tokens generated (rate() of it is tokens/s).")
        line("# TYPE trellis_generated_tokens_total counter")
        line("trellis_generated_tokens_total \(s.generatedTokens)")
        line("# HELP trellis_generation_seconds_total Wall time spent in generations.")
        line("# TYPE trellis_generation_seconds_total counter")
        line("trellis_generation_seconds_total \(Self.format(s.generationSeconds))")
        line("# HELP trellis_requests_cancelled_total Requests whose work was cancelled (client left or time limit).")
        line("# TYPE trellis_requests_cancelled_total counter")
        line("trellis_requests_cancelled_total \(s.cancelledRequests)")
        line("# HELP trellis_requests_in_flight Requests holding a backend slot.")
        line("# TYPE trellis_requests_in_flight gauge")
        line("trellis_requests_in_flight \(inFlight)")
        line("# HELP trellis_queue_depth Requests waiting for a backend slot.")
        line("# TYPE trellis_queue_depth gauge")
        line("trellis_queue_depth \(queued)")
        line("# HELP trellis_batch_queue_depth Model steps waiting for the batched forward pass.")
        line("# TYPE trellis_batch_queue_depth gauge")
        line("trellis_batch_queue_depth \(backend.batchQueueDepth)")
        line("# HELP trellis_batched_forward_passes_total Batched forward passes of the model.")
        line("# TYPE trellis_batched_forward_passes_total counter")
        line("trellis_batched_forward_passes_total \(backend.batchedForwardPasses)")
        line("# HELP trellis_batched_rows_total Sequence rows carried by the batched forward passes.")
        line("# TYPE trellis_batched_rows_total counter")
        line("trellis_batched_rows_total \(backend.batchedRows)")
        line("# HELP trellis_batch_rows_per_pass Mean rows per batched forward pass since start (above 1: requests share passes).")
        line("# TYPE trellis_batch_rows_per_pass gauge")
        line("trellis_batch_rows_per_pass \(Self.format(backend.rowsPerPass))")
        line("# HELP trellis_batch_rows_max Most rows carried by one batched forward pass.")
        line("# TYPE trellis_batch_rows_max gauge")
        line("trellis_batch_rows_max \(backend.largestBatchRows)")
        line("# HELP trellis_batched_steps_total Model steps requested by decoders and answered by batched passes.")
        line("# TYPE trellis_batched_steps_total counter")
        line("trellis_batched_steps_total \(backend.completedSteps)")
        line("# HELP trellis_batch_busy_seconds_total Seconds the model spent inside batched forward passes (against uptime: how busy it is).")
        line("# TYPE trellis_batch_busy_seconds_total counter")
        line("trellis_batch_busy_seconds_total \(Self.format(backend.busySeconds))")
        line("# HELP trellis_kv_cache_pages_in_use KV cache pages holding live sequences.")
        line("# TYPE trellis_kv_cache_pages_in_use gauge")
        line("trellis_kv_cache_pages_in_use \(backend.cachePagesInUse)")
        line("# HELP trellis_kv_cache_pages_allocated KV cache pages allocated (freed pages are kept for reuse).")
        line("# TYPE trellis_kv_cache_pages_allocated gauge")
        line("trellis_kv_cache_pages_allocated \(backend.cachePagesAllocated)")
        line("# HELP trellis_kv_cache_bytes Bytes of KV cache pages allocated.")
        line("# TYPE trellis_kv_cache_bytes gauge")
        line("trellis_kv_cache_bytes \(backend.cacheBytes)")
        line("# HELP trellis_generated_tokens_per_second Tokens generated per second, all requests together, over the last \(Self.rateWindow) s.")
        line("# TYPE trellis_generated_tokens_per_second gauge")
        line("trellis_generated_tokens_per_second \(Self.format(Self.tokensPerSecond(s, uptime: Date().timeIntervalSince(startedAt))))")
        line("# HELP trellis_uptime_seconds Seconds since the server started.")
        line("# TYPE trellis_uptime_seconds gauge")
        line("trellis_uptime_seconds \(Self.format(Date().timeIntervalSince(startedAt)))")
        return out
    }

    /// Prometheus float syntax without locale effects.
    private static func format(_ value: Double) -> String {
        if value == value.rounded() && abs(value) < 1e15 { return String(Int(value)) }
        return String(value)
    }
}
