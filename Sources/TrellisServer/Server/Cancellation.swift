import NIOConcurrencyHelpers
import NIOCore

/// Runs `body` and throws a 408 `APIError` naming `request_timeout_ms` when `deadline` passes
/// first; the body's task is cancelled then (backends honour Task cancellation).
///
/// The timer is an event-loop scheduled task, cancelled (and freed) as soon as the body ends. A
/// racing `Task.sleep` would be simpler, but a cancelled sleep keeps its timer until the original
/// deadline on Linux, which under load grew memory by ~750 bytes per request for the whole
/// timeout window.
func withDeadline<T: Sendable>(_ deadline: ContinuousClock.Instant, limitMilliseconds: Int, on eventLoop: any EventLoop,
                               _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    let timedOut = NIOLockedValueBox(false)
    let task = Task { try await body() }
    let remaining = ContinuousClock.now.duration(to: deadline)
    let nanoseconds = max(0, remaining.components.seconds * 1_000_000_000 + remaining.components.attoseconds / 1_000_000_000)
    let timer = eventLoop.scheduleTask(in: .nanoseconds(nanoseconds)) {
        timedOut.withLockedValue { $0 = true }
        task.cancel()
    }
    defer { timer.cancel() }
    do {
        return try await withTaskCancellationHandler {
            try await task.value
        } onCancel: {
            task.cancel()
        }
    } catch {
        if timedOut.withLockedValue({ $0 }) { throw APIError.timedOut(limitMilliseconds: limitMilliseconds) }
        throw error
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
