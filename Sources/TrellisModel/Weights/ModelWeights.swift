import TrellisGGUF

/// The tensors of one transformer block. Shapes are [rows × columns] = [out × in].
struct LayerWeights {
    let attentionNorm: [Float]          // [hidden]
    let query: LinearWeight             // [heads·headDim × hidden]
    let key: LinearWeight               // [kvHeads·headDim × hidden]
    let value: LinearWeight             // [kvHeads·headDim × hidden]
    let queryBias: [Float]?             // [heads·headDim] (qwen2)
    let keyBias: [Float]?               // [kvHeads·headDim]
    let valueBias: [Float]?             // [kvHeads·headDim]
    let attentionOutput: LinearWeight   // [hidden × heads·headDim]
    let ffnNorm: [Float]                // [hidden]
    let gate: LinearWeight              // [ffn × hidden]
    let up: LinearWeight                // [ffn × hidden]
    let down: LinearWeight              // [hidden × ffn]

    var matrices: [LinearWeight] { [query, key, value, attentionOutput, gate, up, down] }
}

/// Every tensor the forward pass reads, looked up by its GGUF name and checked against the
/// configuration's shapes. Matrices stay in the file mapping (see `LinearWeight`); the small
/// vectors (norms, biases) are copied to float32 arrays. Loading is O(tensor count).
struct ModelWeights {
    let tokenEmbedding: LinearWeight    // [vocab × hidden]
    let output: LinearWeight            // [vocab × hidden]; the embedding itself when tied
    let outputNorm: [Float]             // [hidden]
    let layers: [LayerWeights]
    /// Per-frequency divisors of RoPE angles (`rope_freqs.weight`, Llama 3.1+), if present.
    let ropeFrequencyFactors: [Float]?

    init(file: GGUFFile, config c: ModelConfig) throws {
        let loader = TensorLoader(file: file)
        tokenEmbedding = try loader.matrix("token_embd.weight", rows: c.vocabularySize, columns: c.hidden)
        output = c.tiedOutput
            ? tokenEmbedding
            : try loader.matrix("output.weight", rows: c.vocabularySize, columns: c.hidden)
        outputNorm = try loader.vector("output_norm.weight", count: c.hidden)
        ropeFrequencyFactors = file.tensor(named: "rope_freqs.weight") == nil
            ? nil : try loader.vector("rope_freqs.weight", count: c.ropeDims / 2)
        var layers: [LayerWeights] = []
        layers.reserveCapacity(c.layers)
        for l in 0..<c.layers {
            let p = "blk.\(l)."
            layers.append(LayerWeights(
                attentionNorm: try loader.vector(p + "attn_norm.weight", count: c.hidden),
                query: try loader.matrix(p + "attn_q.weight", rows: c.queryWidth, columns: c.hidden),
                key: try loader.matrix(p + "attn_k.weight", rows: c.kvWidth, columns: c.hidden),
                value: try loader.matrix(p + "attn_v.weight", rows: c.kvWidth, columns: c.hidden),
                queryBias: c.hasQKVBias ? try loader.vector(p + "attn_q.bias", count: c.queryWidth) : nil,
                keyBias: c.hasQKVBias ? try loader.vector(p + "attn_k.bias", count: c.kvWidth) : nil,
                valueBias: c.hasQKVBias ? try loader.vector(p + "attn_v.bias", count: c.kvWidth) : nil,
                attentionOutput: try loader.matrix(p + "attn_output.weight", rows: c.hidden, columns: c.queryWidth),
                ffnNorm: try loader.vector(p + "ffn_norm.weight", count: c.hidden),
                gate: try loader.matrix(p + "ffn_gate.weight", rows: c.ffn, columns: c.hidden),
                up: try loader.matrix(p + "ffn_up.weight", rows: c.ffn, columns: c.hidden),
                down: try loader.matrix(p + "ffn_down.weight", rows: c.hidden, columns: c.ffn)))
        }
        self.layers = layers
    }

    /// Distinct matrices (the tied head counted once).
    var allMatrices: [LinearWeight] {
        var list = [tokenEmbedding]
        if output !== tokenEmbedding { list.append(output) }
        for layer in layers { list += layer.matrices }
        return list
    }
}

/// Finds tensors by name and checks their shapes, raising typed errors that name the tensor.
private struct TensorLoader {
    let file: GGUFFile

    func info(_ name: String) throws -> GGUFTensorInfo {
        guard let t = file.tensor(named: name) else { throw GGUFError.missingTensor(name: name) }
        return t
    }

    func matrix(_ name: String, rows: Int, columns: Int) throws -> LinearWeight {
        let t = try info(name)
        // GGUF lists dimensions innermost first: a [rows × columns] matrix is (columns, rows).
        let dims = t.dims + Array(repeating: 1, count: max(0, 2 - t.dims.count))
        guard dims[0] == columns, dims[1] == rows, dims.dropFirst(2).allSatisfy({ $0 == 1 }) else {
            throw GGUFError.badTensorShape(path: file.path, tensor: name,
                                           reason: "expected dims [\(columns), \(rows)], found \(t.dims)")
        }
        let weight = LinearWeight(name: name, type: t.type, rows: rows, columns: columns, data: file.data(of: t))
        weight.releaseSource = { [file] in file.releasePages($0) }
        return weight
    }

    func vector(_ name: String, count: Int) throws -> [Float] {
        let t = try info(name)
        guard t.elementCount == count, t.columns == count else {
            throw GGUFError.badTensorShape(path: file.path, tensor: name,
                                           reason: "expected \(count) elements, found dims \(t.dims)")
        }
        return [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            t.type.dequantize(file.data(of: t), count: count, into: buffer.baseAddress!)
            initialized = count
        }
    }
}
