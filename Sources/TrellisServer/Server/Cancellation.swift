/// Runs `body` and throws a 408 `APIError` naming `request_timeout_ms` when `deadline` passes
/// first; the body's task is cancelled then (backends honour Task cancellation).
func withDeadline<T: Sendable>(_ deadline: ContinuousClock.Instant, limitMilliseconds: Int,
                               _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(until: deadline, clock: .continuous)
            return nil
        }
        defer { group.cancelAll() }
        guard let first = try await group.next(), let value = first else {
            throw APIError.timedOut(limitMilliseconds: limitMilliseconds)
        }
        return value
    }
}

extension APIError {
    static func timedOut(limitMilliseconds: Int) -> APIError {
        APIError(status: 408, type: "timeout",
                 message: "the request took longer than the limit request_timeout_ms = \(limitMilliseconds) and was cancelled")
    }
}

extension ConnectionRegistry {
    /// Runs `body` in a task that is cancelled when connection `id` closes or the calling task
    /// is cancelled.
    func cancellingOnClose<T: Sendable>(_ id: ObjectIdentifier,
                                        _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        let task = Task { try await body() }
        let key = onClose(id) { task.cancel() }
        defer { if let key { cancel(id, key: key) } }
        return try await withTaskCancellationHandler {
            try await task.value
        } onCancel: {
            task.cancel()
        }
    }
}
