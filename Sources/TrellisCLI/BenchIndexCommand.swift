import ArgumentParser
import Foundation
import TrellisEngine
import TrellisFMIndex
import TrellisSearch

extension BenchCommand {
    struct IndexBenchmark: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "index",
            abstract: "FM-index build speed, memory, size and query latency on a synthetic corpus, plus the real corpus index's bytes/token.")
        @Option(help: "Synthetic corpus size in tokens.") var tokens: Int = 10_000_000
        @OptionGroup var storeOptions: StoreOptions

        func run() throws {
            #if DEBUG
            FileHandle.standardError.write(Data("warning: this is a debug build; timings are not meaningful. Use `swift build -c release`.\n".utf8))
            #endif
            print(try FMIndexBenchmark.run(tokenCount: tokens))
            let path = storeOptions.workspace.passagesIndexPath
            guard FileManager.default.fileExists(atPath: path) else {
                print("no corpus FM-index at \(path) (run `trellis corpus import FILE`)")
                return
            }
            let index = try FMIndex(contentsOf: path)
            print(String(format: "corpus index %@: %d passages, %d tokens, %d bytes = %.2f bytes/token (with locate samples every %d)",
                         path, index.passageCount, index.tokenCount, index.sizeInBytes,
                         Double(index.sizeInBytes) / Double(max(index.tokenCount, 1)), index.sampleRate))
        }
    }
}
