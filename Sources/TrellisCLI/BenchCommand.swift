import ArgumentParser
import Foundation
import TrellisEngine
import TrellisKernels
import TrellisDecoding
import TrellisLinking
import TrellisModel
import TrellisTrie

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Benchmarks (run a release build: swift build -c release).",
        subcommands: [Runtime.self, Kernels.self, Link.self, IndexBenchmark.self, BenchControlCommand.self, BenchServeCommand.self])

    struct Runtime: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Prefill and decode speed of the runtime, peak memory, and ratios to llama.cpp on this machine.")
        @OptionGroup var modelOptions: ModelOptions
        @Option(help: "Rounds per measure (the median is reported).") var rounds: Int = 5
        @Option(help: "Threads of the runtime (default: one per core).") var threads: Int?

        func run() throws {
            #if DEBUG
            FileHandle.standardError.write(Data("warning: this is a debug build; timings are not meaningful. Use `swift build -c release`.\n".utf8))
            #endif
            if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
            let report = try RuntimeBenchmark(rounds: rounds).run(modelPath: try modelOptions.resolvedPath(),
                                                                   options: RuntimeOptions(threads: threads))
            print(report)
        }
    }

    struct Kernels: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Matrix kernels alone on SmolLM2-135M shapes (random weights): GMAC/s at 1 and 8 rows, float32 and int16 activations.")
        @Option(help: "Threads (default: one per core).") var threads: Int?
        @Option(help: "Rounds per measure (best and median are reported).") var rounds: Int = 9
        @Flag(help: "Time the calling thread's CPU time, not wall time (steadier on a loaded machine; use with --threads 1).")
        var cpuTime = false

        func run() throws {
            #if DEBUG
            FileHandle.standardError.write(Data("warning: this is a debug build; timings are not meaningful. Use `swift build -c release`.\n".utf8))
            #endif
            print(try KernelBenchmark.run(threads: threads ?? ComputePool.defaultThreadCount, rounds: rounds, cpuTime: cpuTime))
        }
    }

    struct Link: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Linking throughput (mentions/s) on the demo KB with model and mask time apart, and the trie at 1M names.")
        @OptionGroup var modelOptions: ModelOptions
        @Option(help: "Beam width.") var beam: Int = 5
        @Option(help: "Synthetic names for the trie benchmark (0 skips it).") var trieNames: Int = 1_000_000
        @Option(help: "Demo KB to link against.") var kb: String = "Corpora/entities/entities.jsonl"

        static let sentences = [
            "[Jordan] scored 40 points for the [Bulls] before the team flew to [Paris].",
            "[Mercury] is the closest planet to the Sun, and [Freddie Mercury] sang with [Queen].",
            "[Apple] unveiled a new phone in Cupertino while [Amazon] expanded its cloud business.",
            "[Washington] crossed the Delaware; today [Washington] is the seat of the federal government.",
            "[Darwin] sailed on the Beagle and later wrote about evolution in [London].",
            "[Ford] starred in Star Wars; [Ford] also builds cars in Detroit.",
        ]

        func run() throws {
            let folder = NSTemporaryDirectory() + "trellis-bench-link-\(getpid())"
            defer { try? FileManager.default.removeItem(atPath: folder) }
            let workspace = Workspace(storePath: folder + "/kb.sqlite")
            let store = try workspace.openStore()
            try store.importKnowledgeBase(from: kb)
            let engine = try Engine(modelPath: try modelOptions.resolvedPath())
            var options = LinkingOptions()
            options.beamSize = beam
            let linker = try engine.makeLinker(store: store, workspace: workspace, options: options)
            let stats = DecodingStatistics()
            linker.statistics = stats
            let inputs = try Self.sentences.map { try MentionSpan.parseMarked($0) }
            _ = try linker.link(text: inputs[0].text, spans: inputs[0].spans)  // warm-up
            stats.reset()
            let start = Date()
            var mentions = 0
            for (text, spans) in inputs {
                _ = try linker.link(text: text, spans: spans)
                mentions += spans.count
            }
            let seconds = Date().timeIntervalSince(start)
            print(String(format: """
                linking, %d mentions in %d sentences, whole demo KB trie, beam %d
                  throughput            %.2f mentions/s (%.2f s)
                  model time            %.2f s in beam searches (%d steps, %d model calls; document prefills not included)
                  mask + scoring time   %.3f s = %.2f ms per beam step (trie cursors, log-softmax, top-k, forks)
                """, mentions, inputs.count, beam, Double(mentions) / seconds, seconds, stats.modelSeconds, stats.steps, stats.modelCalls,
                stats.constraintSeconds, 1000 * stats.constraintSeconds / Double(max(stats.steps, 1))))
            if trieNames > 0 {
                print(try PrefixTrieBenchmark.run(count: trieNames, path: folder + "/bench.trie"))
            }
        }
    }
}
