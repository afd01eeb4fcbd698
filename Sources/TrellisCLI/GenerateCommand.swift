import ArgumentParser
import Foundation
import TrellisCore
import TrellisDecoding
import TrellisEngine

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
    @Argument(help: "The prompt (use - to read it from stdin).") var prompt: String

    func run() throws {
        let text = prompt == "-" ? String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self) : prompt
        let engine = try Engine(modelPath: try modelOptions.resolvedPath())
        let tokens = try engine.promptTokens(text, chat: chat, system: system)
        guard !tokens.isEmpty else { throw ValidationError("the prompt is empty") }
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
}
