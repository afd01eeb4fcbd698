import CTrellisKernels
import TrellisCore

/// A fixed set of persistent threads for the fine-grained parallel work of a forward pass
/// (a decode step issues about 210 matrix products plus attention). The calling thread takes
/// part, so `threadCount` participants need `threadCount − 1` pthreads. Idle workers spin for
/// `spinMicroseconds`, then sleep on a condition variable. A job that needs every worker
/// (a barrier) round-trips in 1-4 us on this 2-core host when the cores are free (about
/// 200 us when other processes hold both cores); an ordinary job never waits for a worker
/// that has not claimed a task, since the caller runs unclaimed tasks itself. Tasks are handed out one at a time
/// from a shared atomic counter, which balances uneven tasks and a noisy machine; a worker
/// that wakes late never delays a job whose tasks the others already finished.
/// One job runs at a time: a job submitted while another runs (from another thread, or
/// nested inside a task) runs serially on its caller instead of blocking.
public final class ComputePool: @unchecked Sendable {
    /// Participants, the caller included.
    public let threadCount: Int
    private let handle: OpaquePointer

    /// The number of cores this process may use (at least 1).
    public static var defaultThreadCount: Int { Int(trellis_active_cores()) }

    /// Starts `threads − 1` workers (threads is clamped to 1...256).
    public init(threads: Int = ComputePool.defaultThreadCount, spinMicroseconds: Int = 100) throws {
        guard let pool = trellis_pool_create(Int32(clamping: threads), Int64(spinMicroseconds)) else {
            throw TrellisError.invalidArgument("could not start \(threads - 1) worker threads")
        }
        handle = pool
        threadCount = Int(trellis_pool_threads(pool))
    }

    deinit { trellis_pool_destroy(handle) }

    /// Calls `body(index, worker)` once for every index in 0..<count, spread over the pool;
    /// `worker` in 0..<threadCount names the participant (for per-worker scratch buffers).
    /// Returns when all calls have returned. `body` runs concurrently with itself: it must
    /// only write disjoint memory.
    public func parallelFor(_ count: Int, _ body: (_ index: Int, _ worker: Int) -> Void) {
        guard count > 0 else { return }
        typealias Body = (Int, Int) -> Void
        withoutActuallyEscaping(body) { escapable in
            var task: Body = escapable
            withUnsafeMutablePointer(to: &task) { pointer in
                trellis_pool_run(handle, { context, index, worker in
                    context!.assumingMemoryBound(to: Body.self).pointee(Int(index), Int(worker))
                }, UnsafeMutableRawPointer(pointer), Int64(count))
            }
        }
    }

    /// `parallelFor` without the worker index.
    public func parallelFor(_ count: Int, _ body: (_ index: Int) -> Void) {
        parallelFor(count) { index, _ in body(index) }
    }

    /// Mean seconds for a job whose `threadCount` tasks must all run at the same time:
    /// the cost of waking every participant and collecting it (a benchmark, O(jobs)).
    public func measureDispatchSeconds(jobs: Int = 10000) -> Double {
        trellis_pool_dispatch_seconds(handle, Int64(jobs))
    }

    /// `Y[n x w.rows] (+)= X[n x w.cols] · Wᵀ` with W's rows split into contiguous chunks
    /// across the pool (each weight byte is read once for all n inputs). `input` holds n rows
    /// `inputStride` floats apart (default w.cols); `output` n rows `outputStride` apart
    /// (default w.rows). With `accumulate` the product is added to the output.
    public func matmul(_ w: WeightMatrix, input: UnsafePointer<Float>, rows n: Int,
                       output: UnsafeMutablePointer<Float>, inputStride: Int? = nil,
                       outputStride: Int? = nil, accumulate: Bool = false,
                       level: KernelLevel = .best) {
        trellis_pool_matmul(handle, level.rawValue, w.format.rawValue, w.data, w.rowStride,
                            Int64(w.rows), Int64(w.cols), input, Int64(inputStride ?? w.cols),
                            Int64(n), output, Int64(outputStride ?? w.rows), accumulate ? 1 : 0)
    }

    /// `Y[packed.rows x w.rows] = packed rows · Wᵀ` on int16 activations (see
    /// `InterleavedWeights`), W's row groups split into contiguous chunks across the pool.
    public func matmul(_ w: InterleavedWeights, packed: Int16Activations, output: UnsafeMutablePointer<Float>,
                       level: KernelLevel = .best) {
        let tasks = InterleavedWeights.taskCount(groups: w.groups, inputs: packed.rows, threads: threadCount)
        let job = UncheckedInt16Job(view: w.view, packed: packed.bytes, inputs: packed.rows, output: output, stride: w.rows)
        parallelFor(tasks) { t in
            job.view.multiply(packed: job.packed, packedRows: job.inputs, output: job.output, outputStride: job.stride,
                              groups: job.view.groups * t / tasks..<job.view.groups * (t + 1) / tasks, level: level)
        }
    }
}

/// What the tasks of an int16 product read: raw pointers and a view, no references.
private struct UncheckedInt16Job: @unchecked Sendable {
    let view: InterleavedWeights.View
    let packed: UnsafeRawPointer
    let inputs: Int
    let output: UnsafeMutablePointer<Float>
    let stride: Int
}

/// An output pointer handed to pool tasks that write disjoint parts of it.
private struct UncheckedOutput: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<Float>
}
