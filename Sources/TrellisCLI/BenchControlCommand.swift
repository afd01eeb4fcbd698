import ArgumentParser
import Foundation
import TrellisAutomata
import TrellisControl
import TrellisCore
import TrellisDecoding
import TrellisEngine
import TrellisHMM

/// `trellis bench control`: per-token guidance overhead beside the model's own decode step, and
/// EM time for a fixed workload.
struct BenchControlCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "control",
        abstract: "Per-token HMM guidance cost beside the model's decode time, and EM time per iteration.",
        discussion: "Uses a random HMM (timing does not depend on its values) and a CommonGen-style keyword DFA on the model's vocabulary.")
    @OptionGroup var modelOptions: ModelOptions
    @Option(help: "Hidden states of the guidance HMM.") var states: Int = 256
    @Option(help: "Decode steps to time.") var steps: Int = 32
    @Option(help: "EM workload: sequences (× --length tokens) for one timed iteration; 0 skips EM.") var emSequences: Int = 2000
    @Option(help: "EM sequence length.") var length: Int = 32
    @Option(help: "Hidden states for the EM timing (default: --states).") var emStates: Int?
    @Option(help: "OpenBLAS threads during EM (0: OpenBLAS's default), as `hmm distill --em-blas-threads`.") var emBlasThreads: Int = 1
    @Option(help: "Tokens per step the guidance scores exactly besides keyword tokens (see `eval commongen --exact-tokens`).") var exactTokens: Int = 64

    func run() throws {
        #if DEBUG
        FileHandle.standardError.write(Data("warning: this is a debug build; timings are not meaningful. Use `swift build -c release`.\n".utf8))
        #endif
        let engine = try Engine(modelPath: try modelOptions.resolvedPath())
        let generator = try engine.makeConstrainedGenerator()
        let v = engine.model.vocabularySize
        var rng = SplitMix64(seed: 42)
        let concepts = ["dog", "frisbee", "catch"].map { EnglishInflection.forms(of: $0) }
        var clock = Date()
        let dfa = try generator.compile(ConstraintSpec(keywords: concepts, maxTokens: steps, endWithEOS: true))
        print(String(format: "DFA (3 concepts with inflections, ends with end-of-turn): %d states, %d classes, compiled in %.2f s",
                     dfa.stateCount, dfa.classCount, Date().timeIntervalSince(clock)))
        let hmm = HiddenMarkovModel(randomWithHiddenStates: states, vocabularySize: v, using: &rng)
        clock = Date()
        let table = try GuidanceTable(hmm: hmm, dfa: dfa, horizon: steps)
        print(String(format: "guidance table H=%d horizon %d: %.3f s, %.1f MB", states, steps, Date().timeIntervalSince(clock),
                     Double(table.sizeInBytes) / 1e6))
        let guided = HMMGuidedConstraint(table: table, weight: 1, exactTokens: exactTokens)
        let exactGuided = HMMGuidedConstraint(table: table, weight: 1, exactTokens: .max)
        let copy = [Float](repeating: 0, count: v)

        let prompt = try engine.promptTokens(ConceptPrompt.instruction(concepts: ["dog", "frisbee", "catch"]), chat: true)
        let logits = LogitMatrix(rows: 1, width: v)
        let sequence = try engine.model.makeSequence()
        defer { engine.model.release(sequence) }
        try engine.model.extend([SequenceExtension(sequence: sequence, tokens: prompt)], logits: logits)
        var modelTimes: [Double] = [], biasTimes: [Double] = [], maskTimes: [Double] = [], advanceTimes: [Double] = []
        var exactTimes: [Double] = []
        var scratchRow = copy
        var state = guided.initialState
        for step in 0..<steps {
            let row = logits.row(0)
            var t = Date()
            LogProbabilities.logSoftmax(row)
            guided.applyMask(in: state, to: row)
            maskTimes.append(Date().timeIntervalSince(t))
            for x in 0..<v { scratchRow[x] = row[x] }
            t = Date()
            scratchRow.withUnsafeMutableBufferPointer { exactGuided.addBias(in: state, to: $0) }
            exactTimes.append(Date().timeIntervalSince(t))
            t = Date()
            guided.addBias(in: state, to: row)
            biasTimes.append(Date().timeIntervalSince(t))
            var greedy = Sampler()
            guard let token = greedy.sample(UnsafeBufferPointer(row)) else { break }
            t = Date()
            guard let next = guided.advance(state, by: token) else { break }
            advanceTimes.append(Date().timeIntervalSince(t))
            state = next
            if guided.isAccepting(state) || step + 1 == steps { break }
            t = Date()
            try engine.model.extend([SequenceExtension(sequence: sequence, tokens: [token])], logits: logits)
            modelTimes.append(Date().timeIntervalSince(t))
        }
        func median(_ x: [Double]) -> Double { x.isEmpty ? .nan : x.sorted()[x.count / 2] * 1000 }
        let model = median(modelTimes), bias = median(biasTimes), mask = median(maskTimes), advance = median(advanceTimes)
        print(String(format: "per token (median of %d steps): model decode %.2f ms; guidance addBias %.2f ms (exact top %d) + mask %.2f ms + advance %.3f ms = %.2f ms (%.0f%% of the model step)",
                     biasTimes.count, model, bias, exactTokens, mask, advance, bias + mask + advance, 100 * (bias + mask + advance) / model))
        print(String(format: "  for comparison, the all-tokens exact addBias (one (1+m)×H×V SGEMM): %.2f ms (%.0f%% of the model step)",
                     median(exactTimes), 100 * (median(exactTimes) + mask + advance) / model))

        guard emSequences > 0 else { return }
        let h = emStates ?? states
        let emModel = HiddenMarkovModel(randomWithHiddenStates: h, vocabularySize: v, using: &rng)
        // Zipf-like token ids: a few frequent, a long tail, as in text.
        let tokens: [[TokenID]] = (0..<emSequences).map { _ in
            (0..<length).map { _ in TokenID(min(v - 1, Int(pow(Double(v), Double.random(in: 0..<1, using: &rng))) - 1)) }
        }
        var seconds = 0.0
        _ = try BaumWelchTrainer(blasThreads: emBlasThreads > 0 ? emBlasThreads : nil).train(emModel, sequences: tokens, iterations: 1) { report, _ in
            seconds = report.seconds
            return true
        }
        let perToken = seconds / Double(emSequences * length)
        print(String(format: "EM H=%d: one iteration over %d × %d tokens in %.2f s (%.2f µs/token; 100k × 32 ≈ %.0f s per iteration)",
                     h, emSequences, length, seconds, perToken * 1e6, perToken * 100_000 * 32))
    }
}
