/// Every bound the server enforces before work reaches the backend. A request over a bound gets a
/// 4xx JSON error whose message names the bound (by the snake_case name shown on each field, the
/// same as the `trellis serve` flag without `--`) and the value.
public struct ServerLimits: Sendable, Equatable {
    /// `max_body_bytes`: request body size (413 above it).
    public var maxBodyBytes: Int
    /// `max_prompt_chars`: characters (Unicode scalars) of a prompt, query, text or all chat
    /// messages together.
    public var maxPromptCharacters: Int
    /// `max_prompt_tokens`: tokens of a prompt or text, as the backend counts them.
    public var maxPromptTokens: Int
    /// `max_beam`: beam width for linking and generation.
    public var maxBeam: Int
    /// `max_new_tokens`: `max_tokens` of a generation.
    public var maxNewTokens: Int
    /// `max_top_k`: results asked of link and search (`top_k`).
    public var maxTopK: Int
    /// `max_mentions`: mentions in one link request.
    public var maxMentions: Int
    /// `max_constraint_items`: keywords, alternatives, banned words, choices or stop strings in one list.
    public var maxConstraintItems: Int
    /// `request_timeout_ms`: wall time for one request, streaming included (408 above it).
    public var requestTimeoutMilliseconds: Int
    /// `max_concurrent_requests`: requests the backend works on at once.
    public var maxConcurrentRequests: Int
    /// `max_queued_requests`: requests waiting for a slot (429 above it).
    public var maxQueuedRequests: Int

    public init(maxBodyBytes: Int = 1 << 20, maxPromptCharacters: Int = 32_768, maxPromptTokens: Int = 4096,
                maxBeam: Int = 16, maxNewTokens: Int = 1024, maxTopK: Int = 100, maxMentions: Int = 64,
                maxConstraintItems: Int = 64, requestTimeoutMilliseconds: Int = 120_000,
                maxConcurrentRequests: Int = 64, maxQueuedRequests: Int = 256) {
        self.maxBodyBytes = maxBodyBytes
        self.maxPromptCharacters = maxPromptCharacters
        self.maxPromptTokens = maxPromptTokens
        self.maxBeam = maxBeam
        self.maxNewTokens = maxNewTokens
        self.maxTopK = maxTopK
        self.maxMentions = maxMentions
        self.maxConstraintItems = maxConstraintItems
        self.requestTimeoutMilliseconds = requestTimeoutMilliseconds
        self.maxConcurrentRequests = maxConcurrentRequests
        self.maxQueuedRequests = maxQueuedRequests
    }

    /// Checks the limits themselves (a zero or negative bound is a configuration mistake).
    public func validated() throws -> ServerLimits {
        let named: [(String, Int)] = [
            ("max_body_bytes", maxBodyBytes), ("max_prompt_chars", maxPromptCharacters),
            ("max_prompt_tokens", maxPromptTokens), ("max_beam", maxBeam), ("max_new_tokens", maxNewTokens),
            ("max_top_k", maxTopK), ("max_mentions", maxMentions), ("max_constraint_items", maxConstraintItems),
            ("request_timeout_ms", requestTimeoutMilliseconds), ("max_concurrent_requests", maxConcurrentRequests),
        ]
        for (name, value) in named where value <= 0 {
            throw BackendError.invalidRequest("server limit \(name) must be positive, got \(value)")
        }
        if maxQueuedRequests < 0 {
            throw BackendError.invalidRequest("server limit max_queued_requests must be ≥ 0, got \(maxQueuedRequests)")
        }
        return self
    }

    /// Every bound's name, as in error messages (and `trellis serve --limit NAME=VALUE`).
    public static let names = [
        "max_body_bytes", "max_prompt_chars", "max_prompt_tokens", "max_beam", "max_new_tokens", "max_top_k",
        "max_mentions", "max_constraint_items", "request_timeout_ms", "max_concurrent_requests", "max_queued_requests",
    ]

    private static func keyPath(_ name: String) -> WritableKeyPath<ServerLimits, Int>? {
        switch name {
        case "max_body_bytes": return \.maxBodyBytes
        case "max_prompt_chars": return \.maxPromptCharacters
        case "max_prompt_tokens": return \.maxPromptTokens
        case "max_beam": return \.maxBeam
        case "max_new_tokens": return \.maxNewTokens
        case "max_top_k": return \.maxTopK
        case "max_mentions": return \.maxMentions
        case "max_constraint_items": return \.maxConstraintItems
        case "request_timeout_ms": return \.requestTimeoutMilliseconds
        case "max_concurrent_requests": return \.maxConcurrentRequests
        case "max_queued_requests": return \.maxQueuedRequests
        default: return nil
        }
    }

    /// The value of the bound called `name`, or nil for an unknown name.
    public func value(named name: String) -> Int? { Self.keyPath(name).map { self[keyPath: $0] } }

    /// These limits with `NAME=VALUE` settings applied (for a command line); an unknown name or
    /// a value that is not an integer is an error listing what is accepted.
    public func applying(_ settings: [String]) throws -> ServerLimits {
        var limits = self
        for setting in settings {
            let parts = setting.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, let keyPath = Self.keyPath(parts[0]) else {
                throw BackendError.invalidRequest(
                    "limit `\(setting)` is not NAME=VALUE with NAME one of \(Self.names.joined(separator: ", "))")
            }
            guard let value = Int(parts[1]) else {
                throw BackendError.invalidRequest("limit \(parts[0]) needs an integer, got `\(parts[1])`")
            }
            limits[keyPath: keyPath] = value
        }
        return try limits.validated()
    }
}
