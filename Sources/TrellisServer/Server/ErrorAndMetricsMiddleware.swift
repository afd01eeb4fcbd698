import Hummingbird

/// Outermost middleware: turns every thrown error (ours, the backend's, Hummingbird's 404) into
/// a JSON error response, and records each request's endpoint, status and latency.
struct ErrorAndMetricsMiddleware: RouterMiddleware {
    typealias Context = TrellisRequestContext
    let server: TrellisHTTPServer

    func handle(_ request: Request, context: Context,
                next: (Request, Context) async throws -> Response) async throws -> Response {
        let started = ContinuousClock.now
        let path = request.uri.path
        let knownPath = TrellisHTTPServer.routes.contains { $0.path == path }
        let response: Response
        do {
            response = try await next(request, context)
        } catch let error as HTTPError {
            let apiError: APIError
            if error.status == .notFound && knownPath {
                let allowed = TrellisHTTPServer.routes.filter { $0.path == path }.map(\.method.rawValue).joined(separator: ", ")
                apiError = APIError(status: 405, type: "method_not_allowed",
                                    message: "\(request.method.rawValue) is not allowed on \(path); use \(allowed)")
            } else if error.status == .notFound {
                apiError = APIError(status: 404, type: "not_found", message: "no endpoint at \(path); see /openapi.json")
            } else {
                apiError = APIError(status: error.status.code, type: "http_error",
                                    message: error.body ?? error.status.reasonPhrase)
            }
            response = TrellisHTTPServer.errorResponse(apiError)
        } catch {
            let apiError = APIError.from(error)
            if apiError.status == 499 || apiError.status == 408 { server.metrics.recordCancellation() }
            response = TrellisHTTPServer.errorResponse(apiError)
        }
        server.metrics.recordRequest(endpoint: knownPath ? path : "unmatched", status: response.status.code,
                                     seconds: (ContinuousClock.now - started).seconds)
        return response
    }
}
