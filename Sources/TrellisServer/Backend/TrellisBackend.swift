/// What the engine tells the server about itself.
public struct BackendInfo: Sendable, Equatable {
    /// Reported as `model` in OpenAI responses and in `/health`.
    public var modelName: String
    /// Longest prompt plus generated tokens the model accepts.
    public var contextLength: Int
    /// Which endpoints have what they need loaded (a server without a passage index answers
    /// search with 503).
    public var canLink: Bool
    public var canSearch: Bool
    public var canGenerate: Bool

    public init(modelName: String, contextLength: Int, canLink: Bool = true, canSearch: Bool = true,
                canGenerate: Bool = true) {
        self.modelName = modelName
        self.contextLength = contextLength
        self.canLink = canLink
        self.canSearch = canSearch
        self.canGenerate = canGenerate
    }
}

/// Live numbers from the engine, exported by `/metrics`: the batcher's queue and how well
/// concurrent requests share forward passes (rows per pass > 1 means batching is working).
public struct BackendStatistics: Sendable, Equatable {
    /// Model steps waiting for the batched forward pass (the batcher's queue depth).
    public var batchQueueDepth: Int
    /// Batched forward passes run so far.
    public var batchedForwardPasses: Int
    /// Sequence rows sent through those passes (one row per live sequence or beam per pass).
    public var batchedRows: Int
    /// Most rows one pass has carried.
    public var largestBatchRows: Int
    /// Model steps requested by decoders (each is answered by some batched pass).
    public var completedSteps: Int
    /// Seconds the model spent inside batched passes.
    public var busySeconds: Double
    /// KV cache pages holding live sequences, pages allocated (kept for reuse once freed), and
    /// the bytes allocated: the memory that grows with concurrency.
    public var cachePagesInUse: Int
    public var cachePagesAllocated: Int
    public var cacheBytes: Int

    public init(batchQueueDepth: Int = 0, batchedForwardPasses: Int = 0, batchedRows: Int = 0,
                largestBatchRows: Int = 0, completedSteps: Int = 0, busySeconds: Double = 0,
                cachePagesInUse: Int = 0, cachePagesAllocated: Int = 0, cacheBytes: Int = 0) {
        self.cachePagesInUse = cachePagesInUse
        self.cachePagesAllocated = cachePagesAllocated
        self.cacheBytes = cacheBytes
        self.batchQueueDepth = batchQueueDepth
        self.batchedForwardPasses = batchedForwardPasses
        self.batchedRows = batchedRows
        self.largestBatchRows = largestBatchRows
        self.completedSteps = completedSteps
        self.busySeconds = busySeconds
    }

    /// Mean rows per batched pass (0 before the first pass).
    public var rowsPerPass: Double {
        batchedForwardPasses > 0 ? Double(batchedRows) / Double(batchedForwardPasses) : 0
    }
}

/// The engine as the HTTP server sees it: linking, search and generation over one loaded
/// model, tokenizer, store and indexes. The server has already decoded the request strictly,
/// applied defaults and checked every `ServerLimits` bound; the backend checks what only it can
/// (constraint satisfiability, context length) and throws `BackendError` for those.
///
/// Calls arrive concurrently (one task per request); the backend batches model work across them
/// (for example through `BatchingModel`). Every method must honour Task cancellation: the server
/// cancels a request's task when its client disconnects or its time limit passes, and a
/// generation stream is cancelled when its consumer stops iterating.
public protocol TrellisBackend: Sendable {
    var info: BackendInfo { get }
    var statistics: BackendStatistics { get }

    /// Number of tokens `prompt` occupies, as generation would feed it (chat template included).
    func tokenCount(of prompt: GenerationQuery.Prompt) throws -> Int

    /// Links the mentions of `query.text` (or finds and links them, end to end).
    func link(_ query: LinkQuery) async throws -> LinkResponse

    /// Ranks passages for `query.query`.
    func search(_ query: SearchQuery) async throws -> SearchResponse

    /// Generates text: zero or more `.text` deltas, then exactly one `.finished`. Errors about
    /// the request (an impossible constraint) should be thrown before the first delta.
    func generate(_ query: GenerationQuery) -> AsyncThrowingStream<GenerationEvent, any Error>
}

extension TrellisBackend {
    public var statistics: BackendStatistics { BackendStatistics() }
}
