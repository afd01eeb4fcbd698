import TrellisKernels
import XCTest

/// The pool runs every index exactly once, under nesting and from concurrent callers, and
/// its row-split product equals the single-thread product bit for bit.
final class ComputePoolTests: XCTestCase {
    func testParallelForCoversEveryIndexOnce() throws {
        for threads in [1, 2, 3, 8] {
            let pool = try ComputePool(threads: threads, spinMicroseconds: 20)
            XCTAssertEqual(pool.threadCount, threads)
            for count in [0, 1, 2, 3, 7, 64, 1000] {
                for _ in 0..<20 {
                    let hits = UnsafeMutablePointer<Int>.allocate(capacity: max(count, 1))
                    hits.initialize(repeating: 0, count: max(count, 1))
                    let workers = UnsafeMutablePointer<Int>.allocate(capacity: max(count, 1))
                    pool.parallelFor(count) { index, worker in
                        hits[index] += 1
                        workers[index] = worker
                    }
                    for i in 0..<count {
                        XCTAssertEqual(hits[i], 1, "threads \(threads) count \(count) index \(i)")
                        XCTAssertTrue((0..<threads).contains(workers[i]))
                    }
                    hits.deallocate()
                    workers.deallocate()
                }
            }
        }
    }

    func testWorkersWakeAfterSleeping() throws {
        let pool = try ComputePool(threads: 2, spinMicroseconds: 1)
        for _ in 0..<5 {
            usleep(2000)  // longer than the spin: workers are asleep
            let hits = UnsafeMutablePointer<Int>.allocate(capacity: 16)
            hits.initialize(repeating: 0, count: 16)
            pool.parallelFor(16) { index in hits[index] += 1 }
            XCTAssertEqual(Array(UnsafeBufferPointer(start: hits, count: 16)), [Int](repeating: 1, count: 16))
            hits.deallocate()
        }
    }

    func testNestedJobsRunSerially() throws {
        let pool = try ComputePool(threads: 2)
        let hits = UnsafeMutablePointer<Int>.allocate(capacity: 64)
        hits.initialize(repeating: 0, count: 64)
        pool.parallelFor(8) { outer in
            pool.parallelFor(8) { inner in hits[outer * 8 + inner] += 1 }
        }
        XCTAssertEqual(Array(UnsafeBufferPointer(start: hits, count: 64)), [Int](repeating: 1, count: 64))
        hits.deallocate()
    }

    func testConcurrentCallersEachGetTheirJobDone() throws {
        let pool = try ComputePool(threads: 2)
        let callers = 4, count = 500
        let hits = UnsafeMutablePointer<Int>.allocate(capacity: callers * count)
        hits.initialize(repeating: 0, count: callers * count)
        let address = Int(bitPattern: hits)  // a plain integer crosses into the @Sendable closure
        DispatchQueue.concurrentPerform(iterations: callers) { caller in
            let slots = UnsafeMutablePointer<Int>(bitPattern: address)!
            for _ in 0..<10 {
                pool.parallelFor(count) { index in slots[caller * count + index] += 1 }
            }
        }
        XCTAssertEqual(Array(UnsafeBufferPointer(start: hits, count: callers * count)),
                       [Int](repeating: 10, count: callers * count))
        hits.deallocate()
    }

    func testPoolMatmulEqualsSingleThread() throws {
        let pool = try ComputePool(threads: 3)
        for (format, rows, cols) in [(WeightFormat.q4_1, 1000, 64), (.q8_0, 37, 96), (.f16, 300, 40)] {
            let storage = try WeightStorage(randomFormat: format, rows: rows, cols: cols, seed: UInt64(rows))
            for n in [1, 5, 9] {
                let x = randomFloats(n * cols, seed: UInt64(n))
                var single = [Float](repeating: 0, count: n * rows), pooled = single
                x.withUnsafeBufferPointer { xp in
                    storage.matrix.multiply(input: xp.baseAddress!, rows: n, output: &single)
                    pooled.withUnsafeMutableBufferPointer { yp in
                        pool.matmul(storage.matrix, input: xp.baseAddress!, rows: n, output: yp.baseAddress!)
                    }
                }
                XCTAssertEqual(pooled, single, "\(format) \(rows)x\(cols) n \(n)")
                // accumulate adds onto the existing output
                x.withUnsafeBufferPointer { xp in
                    pooled.withUnsafeMutableBufferPointer { yp in
                        pool.matmul(storage.matrix, input: xp.baseAddress!, rows: n, output: yp.baseAddress!, accumulate: true)
                    }
                }
                XCTAssertEqual(pooled, single.map { $0 + $0 })
            }
        }
    }

    func testDispatchMeasurementRuns() throws {
        let pool = try ComputePool(threads: 2)
        let seconds = pool.measureDispatchSeconds(jobs: 100)
        XCTAssertGreaterThan(seconds, 0)
        XCTAssertLessThan(seconds, 0.1)
    }
}
