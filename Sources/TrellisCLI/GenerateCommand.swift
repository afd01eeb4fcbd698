import ArgumentParser
import Foundation
import TrellisCore
import TrellisDecoding
import TrellisAutomata
import TrellisControl
import TrellisEngine
import TrellisTokenizer

/// Sampling flags shared by the commands that generate text.
struct SamplingOptions: ParsableArguments {
    @Option(help: "Most tokens to generate.") var maxTokens: Int = 128
    @Option(help: "Sampling temperature; 0 is greedy.") var temperature: Float = 0
    @Option(help: "Keep only the k most likely tokens (0: no limit).") var topK: Int = 0
    @Option(help: "Nucleus sampling: keep the smallest set of tokens with this total probability.") var topP: Float = 1
    @Option(help: "Random seed for sampling.") var seed: UInt64 = 0

    func validate() throws {
        guard maxTokens > 0 else { throw ValidationError("--max-tokens must be positive") }
        guard temperature >= 0 else { throw ValidationError("--temperature must not be negative") }
        guard topK >= 0 else { throw ValidationError("--top-k must not be negative") }
        guard topP > 0 && topP <= 1 else { throw ValidationError("--top-p must be in (0, 1]") }
    }

    var sampler: Sampler { Sampler(temperature: temperature, topK: topK, topP: topP, seed: seed) }
}

struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Generate text from a prompt, streamed to stdout.")

    @OptionGroup var modelOptions: ModelOptions
    @OptionGroup var sampling: SamplingOptions
    @Flag(help: "Wrap the prompt as a user turn in the model's chat template (ChatML for SmolLM2).") var chat = false
    @Option(help: "System message for --chat (default: the template's own).") var system: String?
    @Flag(help: "Print only the generated text, no statistics.") var quiet = false
    @Option(help: "Constraint as JSON, e.g. {\"keywords\": [[\"dog\", \"dogs\"], [\"frisbee\"]], \"max_tokens\": 32}; fields: keywords, banned, min_words, max_words, max_tokens, end_with_eos, inflect, ordered (keywords in order), then (a list of parts the output splits into, in order). The output ends with the end-of-turn token once the constraint holds.") var constraint: String?
    @Option(help: "Read the constraint JSON from this file.") var constraintFile: String?
    @Option(help: "HMM (from `trellis hmm distill`) for lookahead guidance; needs a constraint.") var hmm: String?
    @Option(help: "Weight of the HMM guidance bias (0.5 was best on CommonGen train slices; see BENCHMARKS.md).") var guidanceWeight: Float = 0.5
    @Option(help: "Beam search of this width instead of sampling (0: sample).") var beam: Int = 0
    @OptionGroup var storeOptions: StoreOptions
    @Argument(help: "The prompt (use - to read it from stdin).") var prompt: String

    func run() throws {
        let text = prompt == "-" ? String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self) : prompt
        let engine = try Engine(modelPath: try modelOptions.resolvedPath())
        let tokens = try engine.promptTokens(text, chat: chat, system: system)
        guard !tokens.isEmpty else { throw ValidationError("the prompt is empty") }
        if constraint != nil || constraintFile != nil || hmm != nil || beam >= 2 {
            return try runControlled(engine: engine, tokens: tokens)
        }
        let start = Date()
        let (_, result) = try engine.generate(prompt: tokens, constraint: Unconstrained(),
                                              maxTokens: sampling.maxTokens, sampler: sampling.sampler) { piece in
            FileHandle.standardOutput.write(Data(piece.utf8))
            return true
        }
        FileHandle.standardOutput.write(Data("\n".utf8))
        if !quiet {
            let seconds = Date().timeIntervalSince(start)
            let rate = Double(result.tokens.count) / max(seconds, 1e-9)
            FileHandle.standardError.write(Data("[\(tokens.count) prompt tokens, \(result.tokens.count) generated in \(String(format: "%.2f", seconds)) s (\(String(format: "%.1f", rate)) tok/s incl. prefill), stop: \(result.finishReason.rawValue), load \(String(format: "%.2f", engine.loadSeconds)) s]\n".utf8))
        }
    }

    private func runControlled(engine: Engine, tokens: [TokenID]) throws {
        guard constraint == nil || constraintFile == nil else { throw ValidationError("give --constraint or --constraint-file, not both") }
        guard beam >= 0 else { throw ValidationError("--beam must not be negative") }
        let json = try constraintFile.map { try String(contentsOfFile: $0, encoding: .utf8) } ?? constraint
        let spec = try json.map { try ConstraintSpec.parse($0) }
        let generator = try engine.makeConstrainedGenerator()
        let stored = try hmm.map {
            try StoredHMM.load(from: try storeOptions.workspace.openStore(readOnly: true), name: $0,
                               tokenizerFingerprint: engine.tokenizer.fingerprint)
        }
        var streaming = StreamingDecoder(tokenizer: engine.tokenizer)
        let options = ControlOptions(maxTokens: sampling.maxTokens, guidanceWeight: guidanceWeight, beamSize: beam,
                                     sampler: sampling.sampler)
        let out = try generator.generate(prompt: tokens, spec: spec, hmm: stored?.hmm, options: options) { token in
            let piece = streaming.append(token)
            if !piece.isEmpty { FileHandle.standardOutput.write(Data(piece.utf8)) }
            return true
        }
        FileHandle.standardOutput.write(Data((streaming.finish() + "\n").utf8))
        if !quiet {
            let rate = Double(out.tokens.count) / max(out.decodeSeconds, 1e-9)
            let mode = spec == nil ? "plain" : (stored == nil ? "DFA mask" : "DFA + HMM \(stored!.record.name) (H=\(stored!.record.hiddenStates), weight \(guidanceWeight))")
            FileHandle.standardError.write(Data("[\(mode), \(beam >= 2 ? "beam \(beam)" : "sampling"): \(out.tokens.count) tokens in \(String(format: "%.2f", out.decodeSeconds)) s (\(String(format: "%.1f", rate)) tok/s incl. prefill), table \(String(format: "%.2f", out.tableSeconds)) s, stop: \(out.finishReason.rawValue), constraint satisfied: \(out.satisfied)]\n".utf8))
        }
    }
}
