import ArgumentParser
import Foundation
import TrellisEngine
import TrellisModel

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Benchmarks (run a release build: swift build -c release).",
        subcommands: [Runtime.self])

    struct Runtime: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Prefill and decode speed of the runtime, peak memory, and ratios to llama.cpp on this machine.")
        @OptionGroup var modelOptions: ModelOptions
        @Option(help: "Rounds per measure (the median is reported).") var rounds: Int = 5

        func run() throws {
            #if DEBUG
            FileHandle.standardError.write(Data("warning: this is a debug build; timings are not meaningful. Use `swift build -c release`.\n".utf8))
            #endif
            let report = try RuntimeBenchmark(rounds: rounds).run(modelPath: try modelOptions.resolvedPath())
            print(report)
        }
    }
}
