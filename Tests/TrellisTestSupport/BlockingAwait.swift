import Foundation

/// The error of `blockingAwait` when the operation did not finish in time.
public struct BlockingAwaitTimeout: Error, CustomStringConvertible {
    public let operation: String
    public let seconds: Double
    public var description: String { "\(operation) did not finish within \(seconds) s" }
}

/// Runs an async operation from synchronous test code (XCTest's setUp/teardown and helpers such as
/// loopback-server fixtures) and waits for its result, failing with `BlockingAwaitTimeout` instead of
/// hanging the test run. Blocks the calling thread, so never call it from inside a task.
public func blockingAwait<T: Sendable>(_ operation: String, timeout: Double = 30,
                                       _ body: @escaping @Sendable () async throws -> T) throws -> T {
    let box = ResultBox<T>()
    let done = DispatchSemaphore(value: 0)
    Task {
        do { box.value = .success(try await body()) } catch { box.value = .failure(error) }
        done.signal()
    }
    guard done.wait(timeout: .now() + timeout) == .success, let result = box.value else {
        throw BlockingAwaitTimeout(operation: operation, seconds: timeout)
    }
    return try result.get()
}

/// Carries a task's result back to the thread waiting on the semaphore (written once, before the signal).
private final class ResultBox<T>: @unchecked Sendable {
    var value: Result<T, any Error>?
}
