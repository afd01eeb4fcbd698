import Foundation
import TrellisDecoding
import XCTest

final class BlockingThreadPoolTests: XCTestCase {
    /// Sixteen jobs that can only finish together (each waits until all have started): a pool
    /// that made any job wait for a free thread would hang here.
    func testJobsNeverWaitForEachOther() {
        let pool = BlockingThreadPool(linger: 1)
        let count = 16
        let started = DispatchSemaphore(value: 0), release = DispatchSemaphore(value: 0)
        let done = DispatchGroup()
        for _ in 0..<count {
            done.enter()
            pool.run {
                started.signal()
                release.wait()
                done.leave()
            }
        }
        for _ in 0..<count {
            XCTAssertEqual(started.wait(timeout: .now() + 10), .success, "a job did not start while the others waited")
        }
        for _ in 0..<count { release.signal() }
        XCTAssertEqual(done.wait(timeout: .now() + 10), .success)
        XCTAssertGreaterThanOrEqual(pool.threadCount, count)
    }

    /// Jobs run one after another reuse one thread, and an idle thread ends after `linger`.
    func testThreadsAreReusedAndEndWhenIdle() {
        let pool = BlockingThreadPool(linger: 0.2)
        for _ in 0..<20 {
            let finished = DispatchSemaphore(value: 0)
            pool.run { finished.signal() }
            XCTAssertEqual(finished.wait(timeout: .now() + 10), .success)
            // Let the thread get back to waiting (else the next job rightly starts another).
            let deadline = Date(timeIntervalSinceNow: 5)
            while pool.idleThreadCount == 0 && Date() < deadline { usleep(200) }
        }
        XCTAssertEqual(pool.threadCount, 1, "sequential jobs should share one thread")
        Thread.sleep(forTimeInterval: 0.8)
        XCTAssertEqual(pool.threadCount, 0, "the idle thread did not end")
    }
}
