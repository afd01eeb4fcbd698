import TrellisGGUF

/// The hyperparameters of a Llama-family transformer, decoded once from GGUF metadata.
///
/// Keys follow the GGUF convention `<arch>.<name>` (`llama.block_count`, ...). Required keys
/// that are missing raise `GGUFError.missingKey` naming the key; optional ones take the
/// defaults llama.cpp uses. The vocabulary size comes from `<arch>.vocab_size`, else from the
/// tokenizer's token list, else from the embedding tensor; whether the output head is tied to
/// the embedding comes from the tensor table (`output.weight` present or not).
public struct ModelConfig: Sendable, Equatable {
    public var architecture: ModelArchitecture
    /// Transformer blocks.
    public var layers: Int
    /// Width of the residual stream (d_model).
    public var hidden: Int
    /// Width of the SwiGLU inner layer.
    public var ffn: Int
    /// Query heads.
    public var heads: Int
    /// Key/value heads (grouped-query attention: `heads` is a multiple of this).
    public var kvHeads: Int
    /// Width of one attention head.
    public var headDim: Int
    public var ropeBase: Double
    /// Leading dimensions of each head that RoPE rotates (the rest pass through).
    public var ropeDims: Int
    public var rmsEpsilon: Float
    public var vocabularySize: Int
    /// Longest sequence the model was trained for; the runtime's limit.
    public var contextLength: Int
    /// Whether logits use the token embedding matrix (no `output.weight`).
    public var tiedOutput: Bool

    public var ropeStyle: RopeStyle { architecture.ropeStyle }
    public var hasQKVBias: Bool { architecture.hasQKVBias }
    /// Query heads per key/value head.
    public var groupSize: Int { heads / kvHeads }
    /// Width of all query heads together.
    public var queryWidth: Int { heads * headDim }
    /// Width of all key (or value) heads together.
    public var kvWidth: Int { kvHeads * headDim }

    public init(architecture: ModelArchitecture, layers: Int, hidden: Int, ffn: Int, heads: Int,
                kvHeads: Int, headDim: Int, ropeBase: Double, ropeDims: Int, rmsEpsilon: Float,
                vocabularySize: Int, contextLength: Int, tiedOutput: Bool) {
        self.architecture = architecture
        self.layers = layers
        self.hidden = hidden
        self.ffn = ffn
        self.heads = heads
        self.kvHeads = kvHeads
        self.headDim = headDim
        self.ropeBase = ropeBase
        self.ropeDims = ropeDims
        self.rmsEpsilon = rmsEpsilon
        self.vocabularySize = vocabularySize
        self.contextLength = contextLength
        self.tiedOutput = tiedOutput
    }

    /// Decodes the configuration of `file`, checking that the numbers fit together.
    public init(file: GGUFFile) throws {
        guard let archName = try file.string("general.architecture") else {
            throw GGUFError.missingKey(key: "general.architecture")
        }
        let arch = try ModelArchitecture.named(archName)
        let p = arch.keyPrefix
        architecture = arch
        layers = try file.requireInt("\(p).block_count")
        hidden = try file.requireInt("\(p).embedding_length")
        ffn = try file.requireInt("\(p).feed_forward_length")
        heads = try file.requireInt("\(p).attention.head_count")
        kvHeads = try file.int("\(p).attention.head_count_kv") ?? heads
        headDim = try file.int("\(p).attention.key_length") ?? (heads > 0 ? hidden / heads : 0)
        ropeBase = try file.double("\(p).rope.freq_base") ?? arch.defaultRopeBase
        ropeDims = try file.int("\(p).rope.dimension_count") ?? headDim
        guard let eps = try file.double("\(p).attention.layer_norm_rms_epsilon") else {
            throw GGUFError.missingKey(key: "\(p).attention.layer_norm_rms_epsilon")
        }
        rmsEpsilon = Float(eps)
        contextLength = try file.requireInt("\(p).context_length")
        tiedOutput = file.tensor(named: "output.weight") == nil
        if let v = try file.int("\(p).vocab_size") {
            vocabularySize = v
        } else if let tokens = file.metadata["tokenizer.ggml.tokens"]?.array {
            vocabularySize = tokens.count
        } else if let embedding = file.tensor(named: "token_embd.weight") {
            vocabularySize = embedding.rows
        } else {
            throw GGUFError.missingKey(key: "\(p).vocab_size")
        }
        try validate()
    }

    /// Checks the relations the forward pass relies on; a violation names the key involved.
    public func validate() throws {
        func bad(_ key: String, _ why: String) -> GGUFError {
            .wrongValueType(key: "\(architecture.keyPrefix).\(key)", expected: why)
        }
        let p = architecture.keyPrefix
        if layers < 1 { throw bad("block_count", "a positive layer count") }
        if hidden < 1 { throw bad("embedding_length", "a positive width") }
        if ffn < 1 { throw bad("feed_forward_length", "a positive width") }
        if heads < 1 { throw bad("attention.head_count", "a positive head count") }
        if kvHeads < 1 || heads % kvHeads != 0 {
            throw bad("attention.head_count_kv", "a divisor of \(p).attention.head_count (\(heads))")
        }
        if headDim < 2 || headDim % 2 != 0 { throw bad("attention.key_length", "an even head width") }
        if ropeDims < 0 || ropeDims > headDim || ropeDims % 2 != 0 {
            throw bad("rope.dimension_count", "an even count of at most the head width \(headDim)")
        }
        if !(ropeBase > 0) { throw bad("rope.freq_base", "a positive number") }
        if !(rmsEpsilon >= 0) { throw bad("attention.layer_norm_rms_epsilon", "a non-negative number") }
        if vocabularySize < 1 { throw bad("vocab_size", "a positive vocabulary size") }
        if contextLength < 1 { throw bad("context_length", "a positive length") }
    }
}
