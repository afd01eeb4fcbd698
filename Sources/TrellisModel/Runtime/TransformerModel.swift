import TrellisCore
import TrellisGGUF
import TrellisKernels

/// Knobs of the runtime. All but `int16Activations` change results by float rounding only.
public struct RuntimeOptions: Sendable {
    /// Worker threads for matrix kernels and attention (nil: one per core).
    public var threads: Int?
    /// KV cache positions per page.
    public var pageSize: Int
    /// A context limit below the model's own (to bound cache memory), or nil.
    public var contextLimit: Int?

    /// Whether products on Q4_0/Q4_1/Q8_0 weights quantize their activations to int16 per
    /// 32-element block and run exact integer products on an interleaved copy of the weights
    /// (AVX-512 VNNI; see `InterleavedWeights`): about twice the float32 kernel's speed from two
    /// rows up, logits within ~0.01 of float32 activations. nil keeps the default: on where the
    /// CPU has VNNI, unless TRELLIS_FLOAT_ACTIVATIONS=1; false forces float32 activations.
    public var int16Activations: Bool?

    public init(threads: Int? = nil, pageSize: Int = 32, contextLimit: Int? = nil, int16Activations: Bool? = nil) {
        self.threads = threads
        self.pageSize = pageSize
        self.contextLimit = contextLimit
        self.int16Activations = int16Activations
    }
}

/// A Llama-family decoder-only transformer (Llama 2/3, SmolLM2, Qwen2) run from a memory-mapped
/// GGUF file: RMSNorm, rotary position embedding as GGUF stores it, grouped-query attention,
/// SwiGLU feed-forward, tied or separate output head (Touvron et al., "LLaMA", 2023).
///
/// It conforms to `AllPositionLogitsModel` (hence `NextTokenModel`): every sequence owns a paged float32 KV cache (see
/// `PagedKVCache`; `fork` shares pages, O(pages)), and `extend` runs all requests' new tokens
/// through one batched pass, N rows in total, so the weight products are matrix products.
/// A pass costs O(N · parameters) for the projections plus O(Σ new·length · layers · width) for
/// attention. Loading maps the file and reads the tensor table: no weights are converted until
/// a product needs them. Not thread-safe: drive one instance from one task at a time.
public final class TransformerModel: AllPositionLogitsModel {
    public let config: ModelConfig
    public let file: GGUFFile
    public let options: RuntimeOptions
    /// Longest sequence accepted: the model's context length, or the options' lower limit.
    public let contextLength: Int
    let weights: ModelWeights
    let cache: PagedKVCache
    let rope: RotaryEmbedding
    let loop: ParallelLoop
    let scratch = ForwardScratch()
    let plan = ExtendPlan()

    public var vocabularySize: Int { config.vocabularySize }

    /// Opens and maps the GGUF file at `path`.
    public convenience init(path: String, options: RuntimeOptions = RuntimeOptions()) throws {
        try self.init(file: try GGUFFile(path: path), options: options)
    }

    public init(file: GGUFFile, options: RuntimeOptions = RuntimeOptions()) throws {
        let config = try ModelConfig(file: file)
        self.config = config
        self.file = file
        self.options = options
        guard options.pageSize > 0 else { throw TrellisError.invalidArgument("page size must be positive") }
        contextLength = min(config.contextLength, options.contextLimit ?? Int.max)
        weights = try ModelWeights(file: file, config: config)
        cache = PagedKVCache(layers: config.layers, kvHeads: config.kvHeads, headDim: config.headDim,
                             pageSize: options.pageSize)
        rope = RotaryEmbedding(style: config.ropeStyle, dims: config.ropeDims, base: config.ropeBase,
                               factors: weights.ropeFrequencyFactors)
        loop = try ParallelLoop(workers: options.threads)
        if let int16 = options.int16Activations {
            for matrix in weights.allMatrices { matrix.int16Activations = int16 && InterleavedWeights.isFast }
        }
    }

    // MARK: NextTokenModel

    public func makeSequence() throws -> SequenceID { cache.makeSequence() }

    public func fork(_ parent: SequenceID) throws -> SequenceID { try cache.fork(parent) }

    public func release(_ sequence: SequenceID) { cache.release(sequence) }

    /// Tokens in `sequence` (0 for an unknown handle).
    public func length(of sequence: SequenceID) -> Int { cache.length(of: sequence) ?? 0 }

    // MARK: introspection

    /// Threads the kernels use.
    public var threadCount: Int { loop.workers }

    /// Bytes of float32 weight copies made so far for matrix-matrix products.
    public var denseWeightBytes: Int { weights.allMatrices.reduce(0) { $0 + $1.denseBytes } }

    /// Bytes of interleaved weight copies made so far for int16-activation products.
    public var interleavedWeightBytes: Int { weights.allMatrices.reduce(0) { $0 + $1.interleavedBytes } }

    /// KV cache pages in use, pages allocated, and the bytes they hold.
    public var cacheUsage: (pagesInUse: Int, pagesAllocated: Int, bytes: Int) {
        (cache.pagesInUse, cache.pagesAllocated, cache.bytesAllocated)
    }

    /// Live sequences (made or forked, not yet released).
    public var liveSequences: Int { cache.liveSequences }

    /// Makes now the float32 weight copies that long appends use on this CPU (none where the
    /// quantized kernels win at every size), so the first prefill is not spent dequantizing.
    public func prepareForLongAppends() {
        for m in weights.allMatrices where !m.usesKernel(rows: Int.max - 1) { _ = m.denseMatrix(loop) }
    }

    /// Sends products of at least `rows` activation rows to sgemm (tests pin both paths).
    /// Appends of at least this many rows attend with sgemm tiles (see
    /// `defaultTiledAttentionRows`; tests pin both attention paths).
    var tiledAttentionRows = TransformerModel.defaultTiledAttentionRows

    func setDenseRowThreshold(_ rows: Int) {
        for m in weights.allMatrices { m.denseRowThreshold = rows }
    }

    /// Whether the cache's reference counts agree with its sequences (for tests).
    func cacheIsConsistent() -> Bool { cache.checkInvariants() }
}
