import TrellisCore

/// Errors a `TrellisBackend` throws about a request; the server turns each into a JSON error
/// with the status shown. Any other error (except `TrellisError` and cancellation) is a 500.
public enum BackendError: Error, Sendable, Equatable, CustomStringConvertible {
    /// 400: the request is well-formed but cannot be served as asked.
    case invalidRequest(String)
    /// 422: no output can satisfy the constraint (for example a choice the tokenizer cannot
    /// produce, or a keyword banned elsewhere).
    case impossibleConstraint(String)
    /// 400: a bound the backend enforces (such as the model's context length).
    case limitExceeded(bound: String, limit: Int, got: Int)
    /// 429: the backend's own queue is full; retry later.
    case overloaded(String)
    /// 400: a feature the request asks for is not supported yet.
    case notSupported(String)
    /// 400: the constraint needs a part of the store this server has not loaded (a `kb_entity`
    /// constraint without a knowledge base, `corpus_ngram` without passages).
    case missingIndex(String)
    /// 503: a resource this endpoint needs was not loaded (for example no passage index).
    case unavailable(String)

    public var description: String {
        switch self {
        case .invalidRequest(let m), .impossibleConstraint(let m), .overloaded(let m), .notSupported(let m),
             .missingIndex(let m), .unavailable(let m):
            return m
        case .limitExceeded(let bound, let limit, let got):
            return "\(bound) is \(got), over the limit of \(limit)"
        }
    }
}

/// An error answer of the HTTP API: status, a machine-readable type, a message naming the
/// field or bound and the value, and optionally the offending parameter.
///
/// JSON: `{"error": {"type": "limit_exceeded", "message": "...", "param": "max_tokens"}}`.
public struct APIError: Error, Sendable, Equatable, CustomStringConvertible {
    public var status: Int
    public var type: String
    public var message: String
    public var param: String?

    public init(status: Int, type: String, message: String, param: String? = nil) {
        self.status = status
        self.type = type
        self.message = message
        self.param = param
    }

    public var description: String { "\(status) \(type): \(message)" }

    /// 400 naming a field's bound: "`field` is VALUE, over the limit BOUND = LIMIT".
    static func overLimit(field: String, value: some Numeric & CustomStringConvertible, bound: String,
                          limit: some CustomStringConvertible) -> APIError {
        APIError(status: 400, type: "limit_exceeded",
                 message: "`\(field)` is \(value), over the limit \(bound) = \(limit)", param: field)
    }

    static func invalid(_ field: String, _ message: String) -> APIError {
        APIError(status: 400, type: "invalid_request", message: "field `\(field)`: \(message)", param: field)
    }

    /// Maps any error thrown while serving a request.
    static func from(_ error: any Error) -> APIError {
        switch error {
        case let error as APIError:
            return error
        case let error as RequestDecodingError:
            let type = error.kind == .unknownField ? "unknown_field" : "invalid_request"
            return APIError(status: 400, type: type, message: error.message, param: error.path.isEmpty ? nil : error.path)
        case let error as BackendError:
            switch error {
            case .invalidRequest(let m): return APIError(status: 400, type: "invalid_request", message: m)
            case .impossibleConstraint(let m): return APIError(status: 422, type: "impossible_constraint", message: m)
            case .limitExceeded: return APIError(status: 400, type: "limit_exceeded", message: error.description)
            case .overloaded(let m): return APIError(status: 429, type: "overloaded", message: m)
            case .notSupported(let m): return APIError(status: 400, type: "not_supported", message: m)
            case .missingIndex(let m): return APIError(status: 400, type: "missing_index", message: m, param: "constraint")
            case .unavailable(let m): return APIError(status: 503, type: "unavailable", message: m)
            }
        case let error as TrellisError:
            switch error {
            case .invalidArgument(let m): return APIError(status: 400, type: "invalid_request", message: m)
            case .limitExceeded: return APIError(status: 400, type: "limit_exceeded", message: error.description)
            default: return APIError(status: 500, type: "internal_error", message: error.description)
            }
        case is CancellationError:
            return APIError(status: 499, type: "cancelled", message: "the request was cancelled")
        default:
            return APIError(status: 500, type: "internal_error", message: "\(error)")
        }
    }
}

/// The JSON body of every error response.
struct APIErrorBody: Codable, Sendable {
    struct Detail: Codable, Sendable {
        var type: String
        var message: String
        var param: String?
    }
    var error: Detail

    init(_ error: APIError) {
        self.error = Detail(type: error.type, message: error.message, param: error.param)
    }
}
