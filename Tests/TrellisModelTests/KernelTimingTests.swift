import Foundation
import XCTest
import COpenBLAS
import TrellisCore
import TrellisTestSupport
@testable import TrellisModel

/// Timings of the model's products, cold weights and decode steps on the real weights, on
/// demand: `TRELLIS_BENCH=1 swift test -c release -Xswiftc -enable-testing --filter
/// KernelTimingTests`. Prints the best of several runs; asserts nothing about speed.
final class KernelTimingTests: XCTestCase {
    func best(_ runs: Int = 20, _ body: () throws -> Void) rethrows -> Double {
        var best = Double.infinity
        for _ in 0..<runs {
            let t0 = DispatchTime.now().uptimeNanoseconds
            try body()
            best = min(best, Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
        }
        return best
    }

    func testKernelTimings() throws {
        guard ProcessInfo.processInfo.environment["TRELLIS_BENCH"] != nil else { throw XCTSkip("set TRELLIS_BENCH=1") }
        guard let path = TestPaths.defaultModel else { throw XCTSkip("default model absent") }
        let threads = Int(ProcessInfo.processInfo.environment["TRELLIS_THREADS"] ?? "")
        let model = try TransformerModel(path: path, options: RuntimeOptions(threads: threads))
        let layer = model.weights.layers[0]
        let x = UnsafeMutablePointer<Float>.allocate(capacity: 512 * 1536)
        for i in 0..<512 * 1536 { x[i] = Float(i % 17) * 0.01 - 0.08 }
        let y = UnsafeMutablePointer<Float>.allocate(capacity: 16 * 49152 + 512 * 1536)
        for n in [1, 4, 8] {
            for (name, w) in [("gate 1536x576 Q4_1", layer.gate), ("down 576x1536 Q4_1", layer.down),
                              ("head 49152x576 Q8_0", model.weights.output)] {
                let t = best { w.apply(x, count: n, into: y, loop: model.loop) }
                let gmac = Double(w.rows * w.columns * n) / t / 1e9
                print("n=\(n) \(name): \(t * 1e6) us, \(gmac) GMAC/s")
            }
        }
        // Cold weights: each layer's o-proj / down in turn, as a decode step meets them.
        for (name, pick) in [("attn_output", { (l: LayerWeights) in l.attentionOutput }), ("ffn_down", { (l: LayerWeights) in l.down })] {
            let t = best(10) { for layer in model.weights.layers { pick(layer).apply(x, count: 1, into: y, loop: model.loop) } }
            print("cold \(name) n=1: \(t / 30 * 1e6) us per layer")
            let t1 = best(10) { for layer in model.weights.layers { pick(layer).matrix!.multiply(input: x, rows: 1, output: y) } }
            print("cold \(name) n=1 one thread: \(t1 / 30 * 1e6) us per layer")
        }
        // Many rows: kernel products on Q4_1 against sgemm on the float32 copy.
        let gate = layer.gate, gateDense = gate.denseMatrix(model.loop)
        for n in [16, 64, 128, 512] {
            let tk = best(5) { model.loop.pool.matmul(gate.matrix!, input: x, rows: n, output: y) }
            let ts = best(5) {
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(n), Int32(gate.rows), Int32(gate.columns),
                            1, x, Int32(gate.columns), gateDense, Int32(gate.columns), 0, y, Int32(gate.rows))
            }
            let macs = Double(gate.rows * gate.columns * n)
            print("n=\(n) gate: kernel \(tk * 1e6) us (\(macs / tk / 1e9) GMAC/s), sgemm \(ts * 1e6) us (\(macs / ts / 1e9) GMAC/s)")
        }
        let head = model.weights.output
        let dense = head.denseMatrix(model.loop)
        for n in [1, 4, 8, 16] {
            let t = best(10) {
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(n), Int32(head.rows), Int32(head.columns),
                            1, x, Int32(head.columns), dense, Int32(head.columns), 0, y, Int32(head.rows))
            }
            print("n=\(n) head f32 sgemm: \(t * 1e6) us, \(Double(head.rows * head.columns * n) / t / 1e9) GMAC/s")
        }
        // One full decode step at context 128, and its parts.
        let seq = try model.makeSequence()
        let logits = LogitMatrix(rows: 1, width: model.vocabularySize)
        try model.extend([SequenceExtension(sequence: seq, tokens: RuntimeBenchmark.prompt(128, vocabulary: model.vocabularySize))], logits: logits)
        var steps: [SequenceID] = []
        let step = try best(10) {
            let s = try model.fork(seq)
            steps.append(s)
            try model.extend([SequenceExtension(sequence: s, tokens: [42])], logits: logits)
        }
        print("decode step at 128: \(step * 1e3) ms")
        let t0 = DispatchTime.now().uptimeNanoseconds
        var token: TokenID = 42
        for _ in 0..<200 {
            try model.extend([SequenceExtension(sequence: seq, tokens: [token])], logits: logits)
            token = TransformerModel.bestTwo(logits.row(0)).token
        }
        print("200 decode steps from 128: \(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6 / 200) ms/step")
        let nothing = best(200) { model.loop.forEachChunk(2) { _ in } }
        print("empty parallel section: \(nothing * 1e6) us")
    }
}
