import TrellisCore
import Foundation
import TrellisGGUF

/// A tiny random Llama-family model written as a GGUF file, for runtime tests that must not
/// need the real weights: a 2-layer model loads and runs in milliseconds. Options make it tied
/// or untied, llama or qwen2 (q/k/v biases), in F32/Q8_0/Q4_1, or deliberately broken.
public struct TinyTransformerSpec: Sendable {
    public var architecture = "llama"
    public var layers = 2
    public var hidden = 64
    public var ffn = 96
    public var heads = 4
    public var kvHeads = 2
    public var vocabularySize = 80
    public var contextLength = 96
    public var ropeBase = 10_000.0
    /// Divisors of the RoPE frequencies written as `rope_freqs.weight` (Llama 3.1+), if any:
    /// headDim / 2 values.
    public var ropeFrequencyFactors: [Float]?
    public var tiedOutput = true
    /// Type of the projection matrices (F32, Q8_0 or Q4_1).
    public var matrixType: GGMLType = .q4_1
    /// Type of the token embedding (and the untied head).
    public var embeddingType: GGMLType = .q8_0
    public var seed: UInt64 = 1
    /// Leave this tensor out of the file.
    public var omittedTensor: String?
    /// Write this tensor with one row too many.
    public var misshapenTensor: String?
    /// Leave this metadata key out.
    public var omittedKey: String?

    public init() {}

    public var headDim: Int { hidden / heads }
}

public enum TinyTransformerGGUF {
    /// Writes the model to a fresh temporary file and returns its path.
    @discardableResult
    public static func write(_ spec: TinyTransformerSpec, to path: String = temporaryPath(".gguf")) throws -> String {
        let w = GGUFWriter()
        let a = spec.architecture
        func key(_ k: String, _ v: GGUFValue) { if k != spec.omittedKey { w.add(k, v) } }
        key("general.architecture", .string(a))
        key("\(a).block_count", .uint32(UInt32(spec.layers)))
        key("\(a).context_length", .uint32(UInt32(spec.contextLength)))
        key("\(a).embedding_length", .uint32(UInt32(spec.hidden)))
        key("\(a).feed_forward_length", .uint32(UInt32(spec.ffn)))
        key("\(a).attention.head_count", .uint32(UInt32(spec.heads)))
        key("\(a).attention.head_count_kv", .uint32(UInt32(spec.kvHeads)))
        key("\(a).rope.freq_base", .float32(Float(spec.ropeBase)))
        key("\(a).attention.layer_norm_rms_epsilon", .float32(1e-5))
        key("\(a).vocab_size", .uint32(UInt32(spec.vocabularySize)))

        var rng = SplitMix64(seed: spec.seed)
        func tensor(_ name: String, rows: Int, columns: Int, type: GGMLType, scale: Float, offset: Float = 0) {
            guard name != spec.omittedTensor else { return }
            let r = name == spec.misshapenTensor ? rows + 1 : rows
            let values = (0..<(r * columns)).map { _ in offset + scale * rng.nextSigned() }
            let dims = r == 1 ? [columns] : [columns, r]
            w.addTensor(name, dims: dims, type: type, bytes: quantize(values, as: type))
        }
        let d = spec.hidden, hd = spec.headDim
        tensor("token_embd.weight", rows: spec.vocabularySize, columns: d, type: spec.embeddingType, scale: 1)
        for l in 0..<spec.layers {
            let p = "blk.\(l)."
            let s = 1 / Float(d).squareRoot()
            tensor(p + "attn_norm.weight", rows: 1, columns: d, type: .f32, scale: 0.2, offset: 1)
            tensor(p + "attn_q.weight", rows: spec.heads * hd, columns: d, type: spec.matrixType, scale: 2 * s)
            tensor(p + "attn_k.weight", rows: spec.kvHeads * hd, columns: d, type: spec.matrixType, scale: 2 * s)
            tensor(p + "attn_v.weight", rows: spec.kvHeads * hd, columns: d, type: spec.matrixType, scale: s)
            if spec.architecture == "qwen2" {
                tensor(p + "attn_q.bias", rows: 1, columns: spec.heads * hd, type: .f32, scale: 0.3)
                tensor(p + "attn_k.bias", rows: 1, columns: spec.kvHeads * hd, type: .f32, scale: 0.3)
                tensor(p + "attn_v.bias", rows: 1, columns: spec.kvHeads * hd, type: .f32, scale: 0.3)
            }
            tensor(p + "attn_output.weight", rows: d, columns: spec.heads * hd, type: spec.matrixType, scale: s)
            tensor(p + "ffn_norm.weight", rows: 1, columns: d, type: .f32, scale: 0.2, offset: 1)
            tensor(p + "ffn_gate.weight", rows: spec.ffn, columns: d, type: spec.matrixType, scale: 2 * s)
            tensor(p + "ffn_up.weight", rows: spec.ffn, columns: d, type: spec.matrixType, scale: 2 * s)
            tensor(p + "ffn_down.weight", rows: d, columns: spec.ffn, type: spec.matrixType,
                   scale: 1 / Float(spec.ffn).squareRoot())
        }
        tensor("output_norm.weight", rows: 1, columns: d, type: .f32, scale: 0.2, offset: 1)
        if let factors = spec.ropeFrequencyFactors {
            w.addTensor("rope_freqs.weight", dims: [factors.count], floats: factors)
        }
        if !spec.tiedOutput {
            tensor("output.weight", rows: spec.vocabularySize, columns: d, type: spec.embeddingType, scale: 0.5)
        }
        return try w.write(to: path)
    }

    /// Encodes floats as `type` (F32, F16, Q8_0 or Q4_1), rounding as the reference quantizers do.
    public static func quantize(_ values: [Float], as type: GGMLType) -> [UInt8] {
        var out: [UInt8] = []
        func half(_ f: Float) { let h = floatToHalf(f); out.append(UInt8(h & 0xFF)); out.append(UInt8(h >> 8)) }
        switch type {
        case .f32:
            for v in values { withUnsafeBytes(of: v.bitPattern.littleEndian) { out.append(contentsOf: $0) } }
        case .f16:
            for v in values { half(v) }
        case .q8_0:
            precondition(values.count % 32 == 0)
            for b in stride(from: 0, to: values.count, by: 32) {
                let block = values[b..<b + 32]
                let amax = block.map(abs).max()!
                let d = amax / 127
                half(d)
                let inv: Float = d == 0 ? 0 : 1 / d
                for v in block { out.append(UInt8(bitPattern: Int8((v * inv).rounded()))) }
            }
        case .q4_1:
            precondition(values.count % 32 == 0)
            for b in stride(from: 0, to: values.count, by: 32) {
                let block = Array(values[b..<b + 32])
                let lo = block.min()!, hi = block.max()!
                let d = (hi - lo) / 15
                half(d)
                half(lo)
                let inv: Float = d == 0 ? 0 : 1 / d
                for j in 0..<16 {
                    let q0 = UInt8(min(15, max(0, ((block[j] - lo) * inv).rounded())))
                    let q1 = UInt8(min(15, max(0, ((block[j + 16] - lo) * inv).rounded())))
                    out.append(q0 | q1 << 4)
                }
            }
        default:
            preconditionFailure("TinyTransformerGGUF cannot encode \(type)")
        }
        return out
    }
}
