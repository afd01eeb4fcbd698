import TrellisCore
import TrellisGGUF
@testable import TrellisModel

#if canImport(Glibc)
import Glibc
#endif

/// The plain twin of `TransformerModel`: the same architecture written as directly as possible,
/// in Double, over weights dequantized with the reference `GGMLType.dequantize`, recomputing
/// every position from scratch (no cache, no batching, no SIMD). Only for tiny models.
struct PlainTransformer {
    let config: ModelConfig
    let file: GGUFFile

    init(path: String) throws {
        file = try GGUFFile(path: path)
        config = try ModelConfig(file: file)
    }

    func tensor(_ name: String) -> [Double] {
        let t = file.tensor(named: name)!
        var f = [Float](repeating: 0, count: t.elementCount)
        f.withUnsafeMutableBufferPointer { t.type.dequantize(file.data(of: t), count: t.elementCount, into: $0.baseAddress!) }
        return f.map(Double.init)
    }

    /// y = W·x for W [rows × cols] row-major.
    func matvec(_ w: [Double], _ x: [Double], rows: Int) -> [Double] {
        let cols = x.count
        return (0..<rows).map { r in (0..<cols).reduce(0.0) { $0 + w[r * cols + $1] * x[$1] } }
    }

    func rms(_ x: [Double], _ w: [Double]) -> [Double] {
        let ms = x.reduce(0) { $0 + $1 * $1 } / Double(x.count)
        let s = 1 / (ms + Double(config.rmsEpsilon)).squareRoot()
        return x.indices.map { x[$0] * s * w[$0] }
    }

    func rope(_ v: inout [Double], heads: Int, position: Int) {
        let hd = config.headDim, n = config.ropeDims
        let factors = file.tensor(named: "rope_freqs.weight") == nil ? nil : tensor("rope_freqs.weight")
        for h in 0..<heads {
            for i in 0..<n / 2 {
                let angle = Double(position) * pow(config.ropeBase, -Double(2 * i) / Double(n)) / (factors?[i] ?? 1)
                let (a, b) = config.ropeStyle == .adjacentPairs ? (h * hd + 2 * i, h * hd + 2 * i + 1)
                                                                 : (h * hd + i, h * hd + i + n / 2)
                let x0 = v[a], x1 = v[b]
                v[a] = x0 * cos(angle) - x1 * sin(angle)
                v[b] = x0 * sin(angle) + x1 * cos(angle)
            }
        }
    }

    /// Next-token logits after every prefix of `tokens`: [tokens.count][vocab].
    func logits(_ tokens: [TokenID]) -> [[Double]] {
        let c = config, d = c.hidden, hd = c.headDim
        let embedding = tensor("token_embd.weight")
        var xs = tokens.map { Array(embedding[Int($0) * d..<(Int($0) + 1) * d]) }
        for l in 0..<c.layers {
            let p = "blk.\(l)."
            let bias: (String, Int) -> [Double] = { name, n in
                c.hasQKVBias ? tensor(p + name + ".bias") : [Double](repeating: 0, count: n)
            }
            let wq = tensor(p + "attn_q.weight"), wk = tensor(p + "attn_k.weight"), wv = tensor(p + "attn_v.weight")
            let bq = bias("attn_q", c.queryWidth), bk = bias("attn_k", c.kvWidth), bv = bias("attn_v", c.kvWidth)
            let attnNorm = tensor(p + "attn_norm.weight")
            var qs: [[Double]] = [], ks: [[Double]] = [], vs: [[Double]] = []
            for (t, x) in xs.enumerated() {
                let h = rms(x, attnNorm)
                var q = zip(matvec(wq, h, rows: c.queryWidth), bq).map(+)
                var k = zip(matvec(wk, h, rows: c.kvWidth), bk).map(+)
                rope(&q, heads: c.heads, position: t)
                rope(&k, heads: c.kvHeads, position: t)
                qs.append(q)
                ks.append(k)
                vs.append(zip(matvec(wv, h, rows: c.kvWidth), bv).map(+))
            }
            let wo = tensor(p + "attn_output.weight")
            for t in xs.indices {
                var o = [Double](repeating: 0, count: c.queryWidth)
                for head in 0..<c.heads {
                    let g = head / c.groupSize
                    var scores = (0...t).map { j in
                        (0..<hd).reduce(0.0) { $0 + qs[t][head * hd + $1] * ks[j][g * hd + $1] } / Double(hd).squareRoot()
                    }
                    let m = scores.max()!
                    scores = scores.map { exp($0 - m) }
                    let z = scores.reduce(0, +)
                    for j in 0...t {
                        for i in 0..<hd { o[head * hd + i] += scores[j] / z * vs[j][g * hd + i] }
                    }
                }
                xs[t] = zip(xs[t], matvec(wo, o, rows: d)).map(+)
            }
            let wg = tensor(p + "ffn_gate.weight"), wu = tensor(p + "ffn_up.weight"), wd = tensor(p + "ffn_down.weight")
            let ffnNorm = tensor(p + "ffn_norm.weight")
            for t in xs.indices {
                let h = rms(xs[t], ffnNorm)
                let g = matvec(wg, h, rows: c.ffn), u = matvec(wu, h, rows: c.ffn)
                let a = g.indices.map { g[$0] / (1 + exp(-g[$0])) * u[$0] }
                xs[t] = zip(xs[t], matvec(wd, a, rows: d)).map(+)
            }
        }
        let head = c.tiedOutput ? embedding : tensor("output.weight")
        let norm = tensor("output_norm.weight")
        return xs.map { matvec(head, rms($0, norm), rows: c.vocabularySize) }
    }
}
