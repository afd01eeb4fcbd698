import ArgumentParser
import Foundation
import TrellisServer

/// `trellis bench serve`: load on a running `trellis serve` over loopback. Sends a fixed,
/// round-robin mix of link, search and generate requests (small bodies that the demo store
/// answers) at each concurrency, bounded in count and time, and reports throughput, p50/p99
/// latency, errors, and the server's peak RSS plus its RSS every 1,000 requests (so memory at
/// the first and the last thousand can be compared). Optionally ends with a long soak.
struct BenchServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Load test of a running `trellis serve` on loopback: link/search/generate mix at several concurrencies.")
    @Option(help: "Port of the running server (on 127.0.0.1).") var port: Int = 8080
    @Option(help: "Process id of the server, for its RSS (VmRSS/VmHWM from /proc).") var serverPid: Int32?
    @Option(help: "Concurrency levels, comma-separated.") var concurrency: String = "1,8,32"
    @Option(help: "Requests per concurrency level.") var requests: Int = 300
    @Option(help: "After the levels, this many requests at the highest concurrency (0 = no soak).") var soak: Int = 0
    @Option(help: "Request mix: mixed (link, search, generate, choice generate) or generate (sampled generation only, reports tokens/s and its ratio to the first level).")
    var mix: String = "mixed"
    @Option(help: "max_tokens of the generate requests (default 4; 32 with --mix generate).") var generateTokens: Int?
    @Option(help: "Search mode of the search requests (bm25, seal, hybrid).") var searchMode: String = "bm25"
    @Option(help: "Seconds each level (and the soak) may take at most.") var timeLimit: Double = 3600

    /// The fixed mix, kept small so a 10,000-request soak fits in minutes: one single-mention link,
    /// one BM25 search, one sampled generate and one choice-constrained generate.
    func entries() -> [ServeBenchmark.MixEntry] {
        let generateTokens = self.generateTokens ?? (mix == "generate" ? 32 : 4)
        if mix == "generate" {
            // Sampled continuations with no constraint: the batched decode step is all the work.
            return [.init(name: "generate", path: "/v1/generate",
                          json: #"{"prompt":"Once upon a time","max_tokens":\#(generateTokens),"temperature":1}"#)]
        }
        return [
            .init(name: "link", path: "/v1/link",
                  json: #"{"text":"The [Bulls] won in Chicago.","top_k":3}"#),
            .init(name: "search", path: "/v1/search",
                  json: #"{"query":"how does the with statement call __exit__","mode":"\#(searchMode)","top_k":3}"#),
            .init(name: "generate", path: "/v1/generate",
                  json: #"{"prompt":"A dog in the park","max_tokens":\#(generateTokens),"temperature":0.8,"seed":7}"#),
            .init(name: "generate_choice", path: "/v1/generate",
                  json: #"{"prompt":"Is Paris in France? Answer:","max_tokens":\#(generateTokens),"constraint":{"choices":["yes","no","maybe"]}}"#),
        ]
    }

    func run() throws {
        let levels = concurrency.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !levels.isEmpty, levels.allSatisfy({ $0 > 0 }), requests > 0 else {
            throw ValidationError("--concurrency needs positive integers and --requests a positive count")
        }
        guard mix == "mixed" || mix == "generate" else {
            throw ValidationError("--mix is mixed or generate, got \(mix)")
        }
        let mix = entries()
        if self.mix == "generate" {
            say("mix: generate only (\"Once upon a time\", \(generateTokens ?? 32) sampled tokens); port \(port)")
        } else {
            say("mix: link, search (\(searchMode)), generate (\(generateTokens ?? 4) tokens), generate with choices; port \(port)")
        }
        var firstRate: Double?
        for level in levels {
            let result = try ServeBenchmark.run(port: port, mix: mix, totalRequests: requests, concurrency: level,
                                                timeLimit: timeLimit, serverPID: serverPid)
            report(result)
            if self.mix == "generate" {
                if let firstRate, firstRate > 0 {
                    say(String(format: "  tokens/s at c=%d / at c=%d: %.2fx", level, levels[0], result.tokensPerSecond / firstRate))
                } else {
                    firstRate = result.tokensPerSecond
                }
            }
        }
        if soak > 0 {
            let level = levels.max() ?? 32
            say("soak: \(soak) requests at concurrency \(level)")
            report(try ServeBenchmark.run(port: port, mix: mix, totalRequests: soak, concurrency: level,
                                          timeLimit: timeLimit, serverPID: serverPid))
        }
    }

    private func report(_ r: ServeBenchmark.Report) {
        say(r.description)
        say("  per endpoint: " + r.perEntry.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
        if !r.serverRSSSamplesKiB.isEmpty {
            say("  server RSS every 1,000 requests (MiB): "
                  + r.serverRSSSamplesKiB.map { String(format: "%.1f", Double($0) / 1024) }.joined(separator: " "))
        }
        for sample in r.errorSamples { say("  error: \(sample)") }
    }

    /// Writes a line unbuffered, so a log file shows each level as soon as it ends.
    private func say(_ line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }
}
