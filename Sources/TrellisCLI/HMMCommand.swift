import ArgumentParser
import Foundation
import TrellisControl
import TrellisEngine
import TrellisEval
import TrellisHMM
import TrellisCore

struct HMMCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hmm",
        abstract: "Distill and inspect the HMMs used for constrained generation lookahead.",
        subcommands: [Distill.self, Info.self])

    struct Distill: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Sample sequences from the model and fit an HMM by EM, checkpointed into the store (rerun to resume).",
            discussion: """
            Prompts: the chat prompt "Write one short sentence using the words: …" over the concept sets of \
            --prompts (CommonGen train), forked --forks times each; with --unconditional, BOS only. \
            Sequences that end early are padded with the end-of-turn token. Rerunning with the same --name \
            reuses the stored samples and continues EM from the last checkpoint up to --iterations.
            """)
        @OptionGroup var modelOptions: ModelOptions
        @OptionGroup var storeOptions: StoreOptions
        @Option(help: "Name of the HMM in the store.") var name: String
        @Option(help: "Hidden states H.") var states: Int = 128
        @Option(help: "Number of sampled sequences N.") var samples: Int = 4096
        @Option(help: "Tokens per sequence T.") var length: Int = 32
        @Option(help: "EM iterations in total (a resumed run does the rest).") var iterations: Int = 10
        @Option(help: "CommonGen-style JSONL whose concept sets become prompts.") var prompts: String = "../shared/data/commongen/train.jsonl"
        @Flag(help: "Sample after BOS alone instead of concept prompts.") var unconditional = false
        @Option(help: "Sequences sampled per batched model pass.") var batch: Int = 64
        @Option(help: "Sequences forked from each prompt.") var forks: Int = 8
        @Option(help: "Sampling temperature.") var temperature: Float = 1
        @Option(help: "EM batch size (sequences per forward-backward pass).") var emBatch: Int = 512
        @Option(help: "OpenBLAS threads during EM (0: OpenBLAS's default; 1 was ~4x faster on a shared, loaded machine).") var emBlasThreads: Int = 1
        @Option(help: "Random seed (sampling and initialization).") var seed: UInt64 = 1

        func run() throws {
            guard states > 0, samples > 0, length > 0, iterations >= 0, batch > 0, forks > 0 else {
                throw ValidationError("--states, --samples, --length, --batch, --forks must be positive")
            }
            let engine = try Engine(modelPath: try modelOptions.resolvedPath())
            let store = try storeOptions.workspace.openStore()
            guard let end = engine.controlEndToken else { throw ValidationError("the tokenizer has no end token") }
            let promptTokens: [[TokenID]]
            if unconditional {
                promptTokens = [[engine.tokenizer.bosTokenID ?? end]]
            } else {
                let sets = try JSONLines.read(CommonGenExample.self, from: prompts, limit: max(1, samples / max(forks, 1) + 1))
                promptTokens = try sets.map { try engine.promptTokens(ConceptPrompt.instruction(concepts: $0.concepts), chat: true) }
            }
            let sampler = DistillationSampler(length: length, batchSize: batch, forksPerPrompt: forks, temperature: temperature,
                                              endTokens: engine.stopTokens, padToken: end)
            let distiller = HMMDistiller(store: store, trainer: BaumWelchTrainer(batchSize: emBatch, blasThreads: emBlasThreads > 0 ? emBlasThreads : nil))
            let sampling = ProgressReporter("sampling \(samples) × \(length)")
            let report = try distiller.distill(
                name: name, tokenizerFingerprint: engine.tokenizer.fingerprint, modelFingerprint: engine.modelFingerprint,
                hiddenStates: states, vocabularySize: engine.model.vocabularySize, length: length, iterations: iterations, seed: seed,
                sampleSequences: {
                    let tokens = try sampler.sample(model: engine.model, prompts: promptTokens, count: samples, seed: seed) { sampling.update($0, $1) }
                    sampling.finish("\(samples) sequences")
                    return tokens
                },
                onEvent: { event in
                    switch event {
                    case .sampling: break
                    case .reusedSamples(let n, let t): FileHandle.standardError.write(Data("reusing \(n) stored samples × \(t) tokens\n".utf8))
                    case .resumed(let i): FileHandle.standardError.write(Data("resuming after EM iteration \(i)\n".utf8))
                    case .iteration(let i, let ll, let tokens, let seconds):
                        FileHandle.standardError.write(Data(String(format: "EM iteration %d/%d: log-likelihood/token %.4f (%.1f s, checkpointed)\n",
                                                                   i, iterations, ll / Double(max(tokens, 1)), seconds).utf8))
                    }
                    return true
                })
            print(String(format: "HMM %@: H=%d V=%d, %d EM iterations, sampling %.1f s, EM %.1f s, store %@",
                         report.record.name, report.record.hiddenStates, report.record.vocabularySize, report.iterations,
                         report.samplingSeconds, report.trainingSeconds, storeOptions.workspace.storePath))
        }
    }

    struct Info: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the HMMs in the store.")
        @OptionGroup var storeOptions: StoreOptions

        func run() throws {
            let store = try storeOptions.workspace.openStore(readOnly: true)
            let models = try store.hmmModels()
            if models.isEmpty { print("no HMMs in \(storeOptions.workspace.storePath)") }
            for m in models {
                let checkpoints = try store.hmmCheckpoints(model: m.id)
                let samples = try store.hmmTensorShapes(model: m.id).first { $0.kind == StoredHMM.trainingTokensKind }
                let tokens = samples.map { $0.rows * $0.columns } ?? 0
                var line = "\(m.name): H=\(m.hiddenStates) V=\(m.vocabularySize), \(checkpoints.count) EM iterations"
                if let s = samples { line += ", samples \(s.rows) × \(s.columns)" }
                if let last = checkpoints.last, tokens > 0 {
                    line += String(format: ", log-likelihood/token %.4f (before iteration %d)", last.logLikelihood / Double(tokens), last.iteration)
                }
                line += ", model \(m.modelFingerprint), tokenizer \(m.tokenizerFingerprint.prefix(12))"
                print(line)
            }
        }
    }
}
