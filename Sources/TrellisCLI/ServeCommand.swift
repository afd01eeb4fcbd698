import ArgumentParser
import Foundation
import TrellisEngine
import TrellisServer

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the HTTP JSON API (link, search, generate, OpenAI-compatible completions).",
        discussion: "Loads the model, store and indexes once. Limits are set with --limit NAME=VALUE (e.g. max_beam=8); see GET /openapi.json.")
    @OptionGroup var modelOptions: ModelOptions
    @OptionGroup var storeOptions: StoreOptions
    @Option(help: "Address to listen on.") var host: String = "127.0.0.1"
    @Option(help: "Port to listen on.") var port: Int = 8080
    @Option(help: "A server limit as NAME=VALUE (repeatable).") var limit: [String] = []

    func run() async throws {
        let engine = try Engine(modelPath: try modelOptions.resolvedPath())
        let backend = try EngineBackend(engine: engine, workspace: storeOptions.workspace)
        let limits = try ServerLimits().applying(limit)
        let info = backend.info
        FileHandle.standardError.write(Data("trellis serve: \(info.modelName), linking \(info.canLink ? "on" : "off (no KB)"), search \(info.canSearch ? "on" : "off (no passages)")\n".utf8))
        try await TrellisHTTPServer.run(backend: backend, host: host, port: port, limits: limits) { port in
            FileHandle.standardError.write(Data("listening on http://\(host):\(port)\n".utf8))
        }
    }
}
