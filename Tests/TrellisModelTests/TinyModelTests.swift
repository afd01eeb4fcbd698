import XCTest
import TrellisCore
import TrellisGGUF
import TrellisKernels
import TrellisTestSupport
@testable import TrellisModel

/// Float32 runtime vs the Double plain twin on tiny random models: logits agree within this.
let tinyModelTolerance: Float = 1e-4
/// The same with int16 activations (their rounding, max|x| / 65534 per element, dominates).
let tinyModelInt16Tolerance: Float = 5e-3   // measured up to 0.0020

final class TinyModelTests: XCTestCase {
    func model(_ spec: TinyTransformerSpec, options: RuntimeOptions = RuntimeOptions()) throws -> (TransformerModel, String) {
        let path = try TinyTransformerGGUF.write(spec)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        return (try TransformerModel(path: path, options: options), path)
    }

    func randomTokens(_ n: Int, vocabulary: Int, seed: UInt64) -> [TokenID] {
        var rng = SplitMix64(seed: seed)
        return (0..<n).map { _ in TokenID(rng.next() % UInt64(vocabulary)) }
    }

    /// Prefill and token-by-token decode both match the plain twin, for each architecture
    /// variant, with products on the quantized kernels and attention page by page (the default
    /// with SIMD kernels) and, pinned, with products on sgemm over float32 copies and prefill
    /// attention on sgemm tiles.
    func testVariantsMatchPlainTwin() throws {
        var variants: [(String, TinyTransformerSpec)] = []
        var s = TinyTransformerSpec()
        variants.append(("llama tied Q4_1", s))
        s.tiedOutput = false
        s.matrixType = .q8_0
        variants.append(("llama untied Q8_0", s))
        s.matrixType = .f32
        s.embeddingType = .f32
        variants.append(("llama untied F32", s))
        s = TinyTransformerSpec()
        s.architecture = "qwen2"
        s.seed = 7
        variants.append(("qwen2 tied Q4_1 with biases", s))
        s.kvHeads = 4
        s.tiedOutput = false
        variants.append(("qwen2 untied, no grouping", s))
        s = TinyTransformerSpec()
        s.heads = 2
        s.kvHeads = 1
        s.ropeFrequencyFactors = (0..<s.headDim / 2).map { 1 + Float($0 * $0) }
        variants.append(("llama with rope_freqs, one KV head", s))

        for (label, spec) in variants {
            try checkAgainstPlainTwin(label, spec, denseFrom: nil)
            if InterleavedWeights.isFast && spec.matrixType != .f32 {
                try checkAgainstPlainTwin(label + ", int16 activations", spec, denseFrom: nil, int16: true)
            }
        }
        // The same with products of 4+ rows on sgemm over float32 copies.
        try checkAgainstPlainTwin("llama tied Q4_1, sgemm", TinyTransformerSpec(), denseFrom: 4)
        var qwen = TinyTransformerSpec()
        qwen.architecture = "qwen2"
        try checkAgainstPlainTwin("qwen2, sgemm", qwen, denseFrom: 4)
    }

    func checkAgainstPlainTwin(_ label: String, _ spec: TinyTransformerSpec, denseFrom: Int?, int16: Bool = false) throws {
        let tinyModelTolerance = int16 ? tinyModelInt16Tolerance : TrellisModelTests.tinyModelTolerance
        do {
            let (m, path) = try model(spec, options: RuntimeOptions(pageSize: 8, int16Activations: int16))
            if let denseFrom {
                m.setDenseRowThreshold(denseFrom)
                m.tiledAttentionRows = 16   // long appends on sgemm attention tiles too
            }
            let plain = try PlainTransformer(path: path)
            let tokens = randomTokens(24, vocabulary: spec.vocabularySize, seed: spec.seed)
            let expected = plain.logits(tokens)

            let prefill = try m.logits(forPrompt: tokens)
            let prefillDiff = maxAbsDiff(prefill, expected[tokens.count - 1])
            XCTAssertLessThan(prefillDiff, tinyModelTolerance, "\(label): prefill")

            let seq = try m.makeSequence()
            let out = LogitMatrix(rows: 1, width: spec.vocabularySize)
            var worst: Float = 0
            for (t, token) in tokens.enumerated() {
                try m.extend([SequenceExtension(sequence: seq, tokens: [token])], logits: out)
                worst = max(worst, maxAbsDiff(out.rowArray(0), expected[t]))
            }
            XCTAssertLessThan(worst, tinyModelTolerance, "\(label): token by token")
            print("\(label): max |runtime - plain twin| prefill \(prefillDiff), token by token \(worst)")
            XCTAssertEqual(m.length(of: seq), tokens.count)
            m.release(seq)
            XCTAssertEqual(m.cacheUsage.pagesInUse, 0)
        }
    }

    func testConfigDecodedFromMetadata() throws {
        var spec = TinyTransformerSpec()
        spec.tiedOutput = false
        let (m, _) = try model(spec)
        let c = m.config
        XCTAssertEqual(c.architecture, .llama)
        XCTAssertEqual([c.layers, c.hidden, c.ffn, c.heads, c.kvHeads, c.headDim, c.ropeDims, c.vocabularySize, c.contextLength],
                       [2, 64, 96, 4, 2, 16, 16, 80, 96])
        XCTAssertEqual(c.ropeBase, 10_000)
        XCTAssertEqual(c.rmsEpsilon, 1e-5)
        XCTAssertFalse(c.tiedOutput)
        XCTAssertEqual(c.ropeStyle, .adjacentPairs)
    }

    func testMissingTensorIsTypedError() throws {
        for name in ["blk.1.ffn_down.weight", "output_norm.weight", "token_embd.weight"] {
            var spec = TinyTransformerSpec()
            spec.omittedTensor = name
            XCTAssertThrowsError(try model(spec)) { error in
                XCTAssertEqual(error as? GGUFError, .missingTensor(name: name))
            }
        }
        var qwen = TinyTransformerSpec()
        qwen.architecture = "qwen2"
        qwen.omittedTensor = "blk.0.attn_k.bias"
        XCTAssertThrowsError(try model(qwen)) { error in
            XCTAssertEqual(error as? GGUFError, .missingTensor(name: "blk.0.attn_k.bias"))
        }
    }

    func testMisshapenTensorIsTypedError() throws {
        for name in ["blk.0.attn_q.weight", "blk.1.attn_norm.weight", "token_embd.weight"] {
            var spec = TinyTransformerSpec()
            spec.misshapenTensor = name
            XCTAssertThrowsError(try model(spec)) { error in
                guard case .badTensorShape(_, let tensor, _)? = error as? GGUFError else {
                    return XCTFail("\(name): \(error)")
                }
                XCTAssertEqual(tensor, name)
            }
        }
    }

    func testMissingKeyAndUnknownArchitecture() throws {
        var spec = TinyTransformerSpec()
        spec.omittedKey = "llama.block_count"
        XCTAssertThrowsError(try model(spec)) { error in
            XCTAssertEqual(error as? GGUFError, .missingKey(key: "llama.block_count"))
        }
        spec = TinyTransformerSpec()
        spec.omittedKey = "llama.attention.layer_norm_rms_epsilon"
        XCTAssertThrowsError(try model(spec)) { error in
            XCTAssertEqual(error as? GGUFError, .missingKey(key: "llama.attention.layer_norm_rms_epsilon"))
        }
        spec = TinyTransformerSpec()
        spec.architecture = "mamba"
        XCTAssertThrowsError(try model(spec)) { error in
            XCTAssertEqual(error as? GGUFError, .unsupportedArchitecture("mamba"))
        }
        spec = TinyTransformerSpec()
        spec.kvHeads = 3   // 4 query heads cannot share 3 KV heads
        XCTAssertThrowsError(try model(spec)) { error in
            guard case .wrongValueType(let key, _)? = error as? GGUFError else { return XCTFail("\(error)") }
            XCTAssertEqual(key, "llama.attention.head_count_kv")
        }
    }

    func testBadRequestsAreTypedErrorsAndLeaveCachesAlone() throws {
        let (m, _) = try model(TinyTransformerSpec())
        let a = try m.makeSequence(), b = try m.makeSequence()
        let out = LogitMatrix(rows: 1, width: m.vocabularySize)
        try m.extend([SequenceExtension(sequence: a, tokens: [1, 2, 3])], logits: out)

        XCTAssertThrowsError(try m.extend([SequenceExtension(sequence: a, tokens: [1]),
                                           SequenceExtension(sequence: b, tokens: [80])], logits: out)) {
            XCTAssertEqual($0 as? TrellisError, .invalidArgument("token 80 is outside the vocabulary of 80"))
        }
        XCTAssertThrowsError(try m.extend([SequenceExtension(sequence: b, tokens: [-1])], logits: out))
        XCTAssertThrowsError(try m.extend([SequenceExtension(sequence: b, tokens: [])], logits: out))
        XCTAssertThrowsError(try m.extend([SequenceExtension(sequence: a, tokens: [1]),
                                           SequenceExtension(sequence: a, tokens: [2])], logits: out))
        XCTAssertThrowsError(try m.extend([SequenceExtension(sequence: SequenceID(rawValue: 999), tokens: [1])], logits: out)) {
            XCTAssertEqual($0 as? TrellisError, .sequenceUnknown(999))
        }
        XCTAssertThrowsError(try m.extend([SequenceExtension(sequence: b, tokens: Array(repeating: 5, count: 97))], logits: out)) {
            XCTAssertEqual($0 as? TrellisError, .limitExceeded(what: "length of seq#1", limit: 96, got: 97))
        }
        XCTAssertThrowsError(try m.extend([SequenceExtension(sequence: a, tokens: [1])],
                                          logits: LogitMatrix(rows: 1, width: 7)))
        XCTAssertThrowsError(try m.fork(SequenceID(rawValue: 12345)))
        // Nothing above touched a cache.
        XCTAssertEqual(m.length(of: a), 3)
        XCTAssertEqual(m.length(of: b), 0)
        XCTAssertTrue(m.cacheIsConsistent())

        // Exactly filling the context works; one more token does not.
        try m.extend([SequenceExtension(sequence: b, tokens: Array(repeating: 5, count: 96))], logits: out)
        XCTAssertThrowsError(try m.extend([SequenceExtension(sequence: b, tokens: [5])], logits: out))
        // An options limit below the model's context applies too.
        let (limited, _) = try model(TinyTransformerSpec(), options: RuntimeOptions(contextLimit: 10))
        XCTAssertEqual(limited.contextLength, 10)
        XCTAssertThrowsError(try limited.logits(forPrompt: Array(repeating: 1, count: 11)))
        // An empty batch is fine and gives zero rows.
        try m.extend([], logits: out)
        XCTAssertEqual(out.rows, 0)
    }

    func testGreedyIsArgmaxOfLogits() throws {
        let (m, _) = try model(TinyTransformerSpec())
        let prompt: [TokenID] = [3, 14, 15, 9, 26]
        let steps = try m.greedySteps(prompt: prompt, count: 6)
        XCTAssertEqual(steps.count, 6)
        var history = prompt
        for step in steps {
            let logits = try m.logits(forPrompt: history)
            let best = logits.indices.max { logits[$0] < logits[$1] }!
            XCTAssertEqual(Int(step.token), best)
            XCTAssertEqual(step.logit, logits[best], accuracy: 1e-3)
            XCTAssertGreaterThanOrEqual(step.margin, 0)
            history.append(step.token)
        }
        let stop = steps[1].token
        let firstStop = steps.firstIndex { $0.token == stop }!
        let stopped = try m.greedy(prompt: prompt, count: 6, stop: stop)
        XCTAssertEqual(stopped, Array(steps.prefix(firstStop + 1).map(\.token)))
    }
}

func maxAbsDiff(_ a: [Float], _ b: [Double]) -> Float {
    precondition(a.count == b.count)
    var m: Float = 0
    for i in a.indices { m = max(m, abs(a[i] - Float(b[i]))) }
    return m
}

func maxAbsDiff(_ a: [Float], _ b: [Float]) -> Float {
    precondition(a.count == b.count)
    var m: Float = 0
    for i in a.indices { m = max(m, abs(a[i] - b[i])) }
    return m
}
