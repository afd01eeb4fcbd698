import ArgumentParser

/// The `trellis` command line: one subcommand per file in this target.
public struct TrellisCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "trellis",
        abstract: "Generative retrieval and constrained generation with a built-in transformer runtime.",
        subcommands: [ModelCommand.self, GenerateCommand.self, BenchCommand.self]
    )
    public init() {}

    /// Entry point: fixes the BLAS environment, then parses and runs.
    public static func launch() {
        OpenBLASEnvironment.ensureCoreType()
        main()
    }
}
