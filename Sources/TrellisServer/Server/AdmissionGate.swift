import NIOConcurrencyHelpers

/// Bounds the requests the backend works on at once (`max_concurrent_requests`) and those
/// waiting for a slot (`max_queued_requests`); beyond both a request gets 429 at once.
///
/// Waiters are served first in, first out. A waiting task that is cancelled (its client left)
/// leaves the queue immediately. O(queue length) per cancellation, O(1) otherwise.
final class AdmissionGate: Sendable {
    private struct Waiter {
        let id: Int
        let continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var running = 0
        var waiters: [Waiter] = []
        var nextID = 0
        /// Waiters whose cancellation arrived before they were queued.
        var cancelledEarly: Set<Int> = []
    }

    private enum Decision { case admitted, queued, full, cancelled }

    let maxRunning: Int
    let maxQueued: Int
    private let state = NIOLockedValueBox(State())

    init(maxRunning: Int, maxQueued: Int) {
        self.maxRunning = maxRunning
        self.maxQueued = maxQueued
    }

    /// Requests holding a slot.
    var running: Int { state.withLockedValue { $0.running } }
    /// Requests waiting for a slot.
    var queued: Int { state.withLockedValue { $0.waiters.count } }

    /// Waits for a slot. Throws a 429 `APIError` when the queue is full, and `CancellationError`
    /// when the task is cancelled while waiting. Every successful call needs one `release()`.
    func acquire() async throws {
        let id = state.withLockedValue { s -> Int in
            s.nextID += 1
            return s.nextID
        }
        defer { _ = state.withLockedValue { $0.cancelledEarly.remove(id) } }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let decision = state.withLockedValue { s -> Decision in
                    if s.cancelledEarly.contains(id) { return .cancelled }
                    if s.running < maxRunning {
                        s.running += 1
                        return .admitted
                    }
                    if s.waiters.count >= maxQueued { return .full }
                    s.waiters.append(Waiter(id: id, continuation: continuation))
                    return .queued
                }
                switch decision {
                case .admitted: continuation.resume()
                case .queued: break
                case .cancelled: continuation.resume(throwing: CancellationError())
                case .full:
                    continuation.resume(throwing: APIError(
                        status: 429, type: "overloaded",
                        message: "server is at max_concurrent_requests = \(maxRunning) with max_queued_requests = \(maxQueued) waiting; retry later"))
                }
            }
        } onCancel: {
            let removed = state.withLockedValue { s -> Waiter? in
                if let index = s.waiters.firstIndex(where: { $0.id == id }) { return s.waiters.remove(at: index) }
                s.cancelledEarly.insert(id)
                return nil
            }
            removed?.continuation.resume(throwing: CancellationError())
        }
    }

    /// Frees a slot, handing it to the oldest waiter if any.
    func release() {
        let next = state.withLockedValue { s -> Waiter? in
            if s.waiters.isEmpty {
                s.running -= 1
                return nil
            }
            return s.waiters.removeFirst()
        }
        next?.continuation.resume()
    }
}
