import COpenBLAS
import Dispatch
import TrellisCore
import TrellisGGUF
import TrellisKernels

#if canImport(Glibc)
import Glibc
#endif

/// What `RuntimeBenchmark` measured, with the ratios to llama.cpp's figures on the same model
/// and kind of machine (perf-anchor.md: 2 threads, medians of 11 rounds).
public struct RuntimeBenchmarkReport: Sendable, CustomStringConvertible {
    /// llama.cpp tokens/s: prefill of 512 and 128 tokens, decode of 1 and of 8 sequences.
    public static let llamaCppPrefill512 = 312.0
    public static let llamaCppPrefill128 = 252.0
    public static let llamaCppDecode1 = 97.0
    public static let llamaCppDecode8 = 172.0

    public var modelPath: String
    /// Seconds to map the file and build the model (nil when the model was passed in loaded).
    public var loadSeconds: Double?
    /// Seconds of the first 512-token prefill (cold: pages fault in, float32 copies are made
    /// where this CPU uses them).
    public var firstPrefillSeconds: Double
    public var prefill128: Double
    public var prefill512: Double
    public var decode1: Double
    /// Aggregate tokens/s of 8 sequences forked from one 128-token prompt.
    public var decode8: Double
    /// Peak resident memory of the process (VmHWM), bytes.
    public var peakResidentBytes: Int
    public var openBLASCore: String
    /// The matrix kernel level TrellisKernels runs on this CPU (avx512, avx2, vector128, scalar).
    public var matrixKernels: String
    public var threads: Int
    public var rounds: Int

    public var prefill128Ratio: Double { prefill128 / Self.llamaCppPrefill128 }
    public var prefill512Ratio: Double { prefill512 / Self.llamaCppPrefill512 }
    public var decode1Ratio: Double { decode1 / Self.llamaCppDecode1 }
    public var decode8Ratio: Double { decode8 / Self.llamaCppDecode8 }

    public var description: String {
        func f(_ v: Double, _ digits: Int = 1) -> String {
            let p = pow(10.0, Double(digits))
            return String(describing: (v * p).rounded() / p)
        }
        func pad(_ s: String) -> String { s + String(repeating: " ", count: max(1, 34 - s.count)) }
        func row(_ name: String, _ v: Double, _ anchor: Double) -> String {
            let label = pad(name)
            return "\(label)\(f(v)) tok/s   llama.cpp \(f(anchor, 0))   ratio \(f(v / anchor, 2))x"
        }
        var lines = ["runtime benchmark: \(modelPath)",
                     "threads \(threads), matrix kernels \(matrixKernels), OpenBLAS core \(openBLASCore), median of \(rounds) rounds"]
        if let loadSeconds { lines.append(pad("load") + "\(f(loadSeconds * 1000)) ms") }
        lines.append(pad("first prefill, 512 tokens (cold)")
                     + "\(f(firstPrefillSeconds * 1000)) ms")
        lines.append(row("prefill, 128-token prompt", prefill128, Self.llamaCppPrefill128))
        lines.append(row("prefill, 512-token prompt", prefill512, Self.llamaCppPrefill512))
        lines.append(row("decode, 1 sequence", decode1, Self.llamaCppDecode1))
        lines.append(row("decode, 8 sequences (aggregate)", decode8, Self.llamaCppDecode8))
        lines.append(pad("peak resident memory")
                     + "\(f(Double(peakResidentBytes) / 1_048_576)) MiB")
        return lines.joined(separator: "\n")
    }
}

/// Measures the runtime the way perf-anchor.md measured llama.cpp: prefill throughput of 128-
/// and 512-token prompts, greedy decode of one sequence after a 128-token prompt, and aggregate
/// greedy decode of 8 sequences forked from one 128-token prompt (each child starts from a
/// different one of the prompt's top-8 tokens, as beams would). Each figure is the median of
/// `rounds` runs after a cold warm-up prefill. Prompts are fixed
/// pseudo-random token ids, so runs are comparable.
public struct RuntimeBenchmark: Sendable {
    public var rounds: Int
    /// Decode steps timed per round.
    public var decodeSteps: Int

    public init(rounds: Int = 5, decodeSteps: Int = 64) {
        self.rounds = rounds
        self.decodeSteps = decodeSteps
    }

    /// Loads the model at `path` (timing the load) and measures it.
    public func run(modelPath path: String, options: RuntimeOptions = RuntimeOptions()) throws -> RuntimeBenchmarkReport {
        let start = Self.now()
        let model = try TransformerModel(path: path, options: options)
        let load = Self.now() - start
        return try run(model: model, loadSeconds: load)
    }

    /// Measures an already loaded model (which must have no long-lived work in flight).
    public func run(model: TransformerModel, loadSeconds: Double? = nil) throws -> RuntimeBenchmarkReport {
        let prompt512 = Self.prompt(512, vocabulary: model.vocabularySize)
        let prompt128 = Array(prompt512.prefix(128))
        guard model.contextLength >= 512 + decodeSteps + 1 else {
            throw TrellisError.limitExceeded(what: "benchmark context", limit: model.contextLength, got: 512 + decodeSteps + 1)
        }
        let logits = LogitMatrix(rows: 8, width: model.vocabularySize)
        let firstPrefill = try timePrefill(model, prompt512, logits)

        var p128: [Double] = [], p512: [Double] = [], d1: [Double] = [], d8: [Double] = []
        for _ in 0..<max(rounds, 1) {
            p128.append(Double(prompt128.count) / (try timePrefill(model, prompt128, logits)))
            p512.append(Double(prompt512.count) / (try timePrefill(model, prompt512, logits)))
            d1.append(try decodeRate(model, prompt128, sequences: 1, logits))
            d8.append(try decodeRate(model, prompt128, sequences: 8, logits))
        }
        return RuntimeBenchmarkReport(
            modelPath: model.file.path, loadSeconds: loadSeconds, firstPrefillSeconds: firstPrefill,
            prefill128: Self.median(p128), prefill512: Self.median(p512),
            decode1: Self.median(d1), decode8: Self.median(d8),
            peakResidentBytes: Self.peakResidentBytes(), openBLASCore: Self.openBLASCore(),
            matrixKernels: KernelLevel.fastest.description,
            threads: model.threadCount, rounds: max(rounds, 1))
    }

    private func timePrefill(_ model: TransformerModel, _ prompt: [TokenID], _ logits: LogitMatrix) throws -> Double {
        let seq = try model.makeSequence()
        defer { model.release(seq) }
        let start = Self.now()
        try model.extend([SequenceExtension(sequence: seq, tokens: prompt)], logits: logits)
        return Self.now() - start
    }

    /// Tokens/s summed over `sequences` greedy decoders forked from one prefilled prompt.
    private func decodeRate(_ model: TransformerModel, _ prompt: [TokenID], sequences: Int,
                            _ logits: LogitMatrix) throws -> Double {
        let root = try model.makeSequence()
        defer { model.release(root) }
        try model.extend([SequenceExtension(sequence: root, tokens: prompt)], logits: logits)
        let firstTokens = logits.rowArray(0).indices.sorted { logits.row(0)[$0] > logits.row(0)[$1] }.prefix(sequences)
        var seqs: [SequenceID] = []
        for _ in 0..<sequences { seqs.append(try model.fork(root)) }
        defer { seqs.forEach(model.release) }
        var requests = zip(seqs, firstTokens).map { SequenceExtension(sequence: $0, tokens: [TokenID($1)]) }
        let start = Self.now()
        for _ in 0..<decodeSteps {
            try model.extend(requests, logits: logits)
            for i in requests.indices { requests[i].tokens[0] = TransformerModel.bestTwo(logits.row(i)).token }
        }
        return Double(sequences * decodeSteps) / (Self.now() - start)
    }

    // MARK: helpers

    static func prompt(_ n: Int, vocabulary: Int) -> [TokenID] {
        // A fixed walk over ordinary ids (skipping the first 100, where special tokens live).
        let skip = min(100, vocabulary / 2)
        let span = vocabulary - skip
        return (0..<n).map { TokenID(skip + ($0 &* 7_919 &+ 13) % span) }
    }

    static func median(_ values: [Double]) -> Double {
        let s = values.sorted()
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }

    static func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

    /// VmHWM from /proc/self/status in bytes (0 where unavailable).
    public static func peakResidentBytes() -> Int {
        guard let f = fopen("/proc/self/status", "r") else { return 0 }
        defer { fclose(f) }
        var line = [CChar](repeating: 0, count: 256)
        while fgets(&line, Int32(line.count), f) != nil {
            let s = String(cString: line)
            if s.hasPrefix("VmHWM:") {
                let digits = s.filter(\.isNumber)
                return (Int(digits) ?? 0) * 1024
            }
        }
        return 0
    }

    /// The kernel family OpenBLAS chose at load (`openblas_get_corename`).
    public static func openBLASCore() -> String {
        guard let name = openblas_get_corename() else { return "unknown" }
        return String(cString: name)
    }
}
