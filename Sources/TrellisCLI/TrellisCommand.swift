import ArgumentParser

/// The `trellis` command line: one subcommand per file in this target.
public struct TrellisCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "trellis",
        abstract: "Generative retrieval and constrained generation with a built-in transformer runtime.",
        subcommands: [ModelCommand.self, GenerateCommand.self, KBCommand.self, LinkCommand.self, CorpusCommand.self, SearchCommand.self, HMMCommand.self, EvalCommand.self, BenchCommand.self, ServeCommand.self]
    )
    public init() {}

    /// Entry point: fixes the BLAS environment, then parses and runs.
    public static func launch() async {
        OpenBLASEnvironment.ensureCoreType()
        await main()
    }
}
