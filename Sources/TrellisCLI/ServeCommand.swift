import ArgumentParser
import Foundation
import TrellisDecoding
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
    @Option(help: "How long a batched pass may wait for the previous pass's callers to queue their next step, as a fraction of that pass's time (0 = never wait).")
    var batchGather: Double = 0.25
    @Flag(help: "Print the OpenAPI document (what GET /openapi.json serves; kept as docs/openapi.json) and exit.")
    var printOpenapi = false

    func run() async throws {
        if printOpenapi {
            print(OpenAPIDocument.json)
            return
        }
        let engine = try Engine(modelPath: try modelOptions.resolvedPath())
        guard batchGather >= 0, batchGather.isFinite else { throw ValidationError("--batch-gather must be a fraction >= 0") }
        let backend = try EngineBackend(engine: engine, workspace: storeOptions.workspace,
                                        batchLimits: .init(gatherFraction: batchGather))
        let limits = try ServerLimits().applying(limit)
        let info = backend.info
        FileHandle.standardError.write(Data("trellis serve: \(info.modelName), linking \(info.canLink ? "on" : "off (no KB)"), search \(info.canSearch ? "on" : "off (no passages)")\n".utf8))
        try await TrellisHTTPServer.run(backend: backend, host: host, port: port, limits: limits) { port in
            FileHandle.standardError.write(Data("listening on http://\(host):\(port)\n".utf8))
        }
    }
}
