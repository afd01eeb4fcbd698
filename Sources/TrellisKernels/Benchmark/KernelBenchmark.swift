import TrellisCore
import CTrellisKernels
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Measures the kernels on SmolLM2-135M shapes (hidden 576, FFN 1536, 30 layers, 3 KV heads
/// of 64, vocabulary 49152; Q4_1 layers and a Q8_0 tied head) with random weights of the
/// real sizes, so memory traffic is realistic (96 MB per token, more than the L3 cache).
/// `trellis bench runtime` prints `run()`. Reports pool dispatch overhead, GMAC/s per matrix
/// at n = 1, 2, 4, 8 (float32 activations, and int16 activations on interleaved weights where
/// VNNI runs), one full token of matrix
/// products (210 layer products + head) at n = 1 and n = 8 on the pool and on one thread, and prefill-sized products against
/// OpenBLAS sgemm on dequantized weights. Times are wall clock, "best / median" of `rounds`
/// (the best is the machine's capability, the median shows the noise of a shared host).
public enum KernelBenchmark {
    /// One layer's products as W shapes (rows x cols) in evaluation order: q, k, v, o,
    /// gate, up, down.
    public static let layerShapes: [(rows: Int, cols: Int)] = [
        (576, 576), (192, 576), (192, 576), (576, 576), (1536, 576), (1536, 576), (576, 1536),
    ]
    public static let layers = 30
    public static let vocabulary = 49152
    public static let hidden = 576

    /// Runs every measurement (a few seconds) and returns the report, one fact per line.
    /// `cpuTime` measures the calling thread's CPU time instead of wall time: steadier on a
    /// loaded machine for the one-thread measures (meaningless for pool measures, whose other
    /// threads are not counted).
    public static func run(threads: Int = ComputePool.defaultThreadCount, rounds: Int = 9,
                           level: KernelLevel = .best, cpuTime: Bool = false) throws -> String {
        let pool = try ComputePool(threads: threads)
        var lines: [String] = []
        lines.append("kernels: level \(level), \(pool.threadCount) threads, OpenBLAS core \(BLAS.coreName)"
                     + (cpuTime ? ", times are the calling thread's CPU time" : ""))

        // Dispatch: jobs whose tasks must all run at once (a barrier), so every worker is
        // woken and collected; back-to-back jobs, so workers are spinning.
        let dispatch = timings(rounds, cpuTime: cpuTime) { _ = pool.measureDispatchSeconds(jobs: 1) }
        let dispatchMean = pool.measureDispatchSeconds(jobs: 2000)
        lines.append("pool dispatch, all \(pool.threadCount) participants meet: mean \(fixed(dispatchMean * 1e6, 2)) us, "
                     + "\(microseconds(dispatch)) us")

        let maxN = 512
        let packed = Int16Activations()
        let x = randomInput(maxN * 1536, seed: 7)
        var y = [Float](repeating: 0, count: max(maxN * 1536, 8 * vocabulary))

        // Single products (a small matrix stays cache-resident across repeats).
        let singles: [(String, WeightFormat, Int, Int)] = [
            ("Q4_1 1536x576 (gate/up)", .q4_1, 1536, 576), ("Q4_1 576x1536 (down)", .q4_1, 576, 1536),
            ("Q4_1 192x576 (k/v)", .q4_1, 192, 576), ("Q8_0 49152x576 (head)", .q8_0, vocabulary, 576),
        ]
        for (name, format, rows, cols) in singles {
            let storage = try WeightStorage(randomFormat: format, rows: rows, cols: cols, seed: UInt64(rows * cols))
            let interleaved = InterleavedWeights.isFast ? try InterleavedWeights(storage.matrix, pool: pool) : nil
            var parts: [String] = []
            for n in [1, 2, 4, 8] {
                let best = timings(rounds, cpuTime: cpuTime) { product(pool, storage.matrix, x, n, &y, level) }.best
                let rate = Double(rows * cols * n) / best / 1e9
                parts.append("n=\(n) \(fixed(rate, 1)) GMAC/s (\(fixed(best * 1e6, 1)) us)")
                if let interleaved {
                    let best = timings(rounds, cpuTime: cpuTime) { int16Product(pool, interleaved, x, n, &y, packed, level) }.best
                    parts.append("int16 \(fixed(Double(rows * cols * n) / best / 1e9, 1))")
                }
            }
            lines.append("\(name): " + parts.joined(separator: ", "))
        }

        // A full token of products: 30 layers with their own weights, then the head.
        var layerWeights: [WeightStorage] = []
        for layer in 0..<layers {
            for (index, shape) in layerShapes.enumerated() {
                layerWeights.append(try WeightStorage(randomFormat: .q4_1, rows: shape.rows, cols: shape.cols,
                                                      seed: UInt64(layer * 16 + index + 100)))
            }
        }
        let head = try WeightStorage(randomFormat: .q8_0, rows: vocabulary, cols: hidden, seed: 5)
        let macsPerToken = layerWeights.reduce(0) { $0 + $1.matrix.rows * $1.matrix.cols } + vocabulary * hidden
        let bytesPerToken = layerWeights.reduce(0) { $0 + $1.matrix.byteCount } + head.matrix.byteCount
        let megaMACs = Double(macsPerToken) / 1e6, megabytes = Double(bytesPerToken) / 1e6
        lines.append("token: \(layerWeights.count + 1) products, \(fixed(megaMACs, 1)) M MAC, \(fixed(megabytes, 1)) MB of weights")
        let interleavedLayers = InterleavedWeights.isFast
            ? try layerWeights.map { try InterleavedWeights($0.matrix, pool: pool) } : []
        let interleavedHead = InterleavedWeights.isFast ? try InterleavedWeights(head.matrix, pool: pool) : nil
        let single = try ComputePool(threads: 1)
        for (label, runner) in [("", pool), (" on 1 thread", single)] {
            for n in [1, 8] {
                let time = timings(rounds, cpuTime: cpuTime) {
                    for storage in layerWeights { product(runner, storage.matrix, x, n, &y, level) }
                    product(runner, head.matrix, x, n, &y, level)
                }
                let rate = Double(macsPerToken * n) / time.best / 1e9
                let bandwidth = Double(bytesPerToken) / time.best / 1e9
                lines.append("token n=\(n)\(label): \(fixed(time.best * 1e3, 2)) / \(fixed(time.median * 1e3, 2)) ms "
                             + "(\(fixed(rate, 1)) GMAC/s, \(fixed(bandwidth, 1)) GB/s of weights, "
                             + "\(fixed(Double(n) / time.best, 0)) tokens/s of products)")
            }
            if !interleavedLayers.isEmpty, let interleavedHead {
                // Int16 activations, quantized once per product as the runtime does.
                for n in [1, 8] {
                    let time = timings(rounds, cpuTime: cpuTime) {
                        for w in interleavedLayers { int16Product(runner, w, x, n, &y, packed, level) }
                        int16Product(runner, interleavedHead, x, n, &y, packed, level)
                    }
                    lines.append("token n=\(n) int16\(label): \(fixed(time.best * 1e3, 2)) / \(fixed(time.median * 1e3, 2)) ms "
                                 + "(\(fixed(Double(macsPerToken * n) / time.best / 1e9, 1)) GMAC/s, "
                                 + "\(fixed(Double(n) / time.best, 0)) tokens/s of products)")
                }
            }
        }

        // Prefill-sized products: the quantized kernel vs sgemm on a dequantized copy.
        let gate = layerWeights[4].matrix
        var dequantized = [Float](repeating: 0, count: gate.rows * gate.cols)
        dequantized.withUnsafeMutableBufferPointer { d in
            for r in 0..<gate.rows { gate.dequantizeRow(r, into: d.baseAddress! + r * gate.cols) }
        }
        let blasThreads = BLAS.threadCount
        BLAS.threadCount = pool.threadCount
        for n in [32, 128, 512] {
            let ours = timings(rounds, cpuTime: cpuTime) { product(pool, gate, x, n, &y, level) }.best
            let blas = timings(rounds, cpuTime: cpuTime) {
                x.withUnsafeBufferPointer { xp in
                    dequantized.withUnsafeBufferPointer { wp in
                        y.withUnsafeMutableBufferPointer { yp in
                            BLAS.multiplyTransposed(input: xp.baseAddress!, rows: n, cols: gate.cols, weights: wp.baseAddress!,
                                                    weightRows: gate.rows, output: yp.baseAddress!)
                        }
                    }
                }
            }.best
            let macs = Double(gate.rows * gate.cols * n)
            var line = "prefill-sized Q4_1 1536x576 n=\(n): kernel \(fixed(macs / ours / 1e9, 1)) GMAC/s, "
            if interleavedLayers.count > 4 {
                let int16 = timings(rounds, cpuTime: cpuTime) { int16Product(pool, interleavedLayers[4], x, n, &y, packed, level) }.best
                line += "int16 \(fixed(macs / int16 / 1e9, 1)) GMAC/s, "
            }
            lines.append(line + "sgemm on f32 \(fixed(macs / blas / 1e9, 1)) GMAC/s")
        }
        BLAS.threadCount = blasThreads
        return lines.joined(separator: "\n")
    }

    private static func product(_ pool: ComputePool, _ w: WeightMatrix, _ x: [Float], _ n: Int,
                                _ y: inout [Float], _ level: KernelLevel) {
        x.withUnsafeBufferPointer { xp in
            y.withUnsafeMutableBufferPointer { yp in
                pool.matmul(w, input: xp.baseAddress!, rows: n, output: yp.baseAddress!, level: level)
            }
        }
    }

    private static func int16Product(_ pool: ComputePool, _ w: InterleavedWeights, _ x: [Float], _ n: Int,
                                     _ y: inout [Float], _ packed: Int16Activations, _ level: KernelLevel) {
        x.withUnsafeBufferPointer { xp in
            y.withUnsafeMutableBufferPointer { yp in
                _ = try? packed.pack(xp.baseAddress!, rows: n, cols: w.cols, level: level)
                pool.matmul(w, packed: packed, output: yp.baseAddress!, level: level)
            }
        }
    }

    private static func randomInput(_ count: Int, seed: UInt64) -> [Float] {
        var random = SplitMix64(seed: seed)
        return (0..<count).map { _ in random.nextUnit() * 2 - 1 }
    }

    private static func microseconds(_ t: (best: Double, median: Double)) -> String {
        "best \(fixed(t.best * 1e6, 2)) / median \(fixed(t.median * 1e6, 2))"
    }

    /// Best and median wall seconds of `rounds` runs of `body` after one warm-up run.
    static func timings(_ rounds: Int, cpuTime: Bool = false, _ body: () -> Void) -> (best: Double, median: Double) {
        body()
        let clock = ContinuousClock()
        var times: [Double] = []
        for _ in 0..<max(1, rounds) {
            if cpuTime {
                let start = threadCPUSeconds()
                body()
                times.append(threadCPUSeconds() - start)
                continue
            }
            let elapsed = clock.measure(body)
            times.append(Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18)
        }
        times.sort()
        return (times[0], times[times.count / 2])
    }

    /// CPU seconds the calling thread has run.
    static func threadCPUSeconds() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
    }

    /// `value` with `digits` decimals (no Foundation formatting in this module).
    static func fixed(_ value: Double, _ digits: Int) -> String {
        guard value.isFinite else { return "\(value)" }
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let scaled = (abs(value) * scale).rounded()
        let whole = Int(scaled / scale)
        let fraction = Int(scaled - Double(whole) * scale)
        var text = (value < 0 && scaled > 0 ? "-" : "") + String(whole)
        if digits > 0 {
            let digitsText = String(fraction)
            text += "." + String(repeating: "0", count: digits - digitsText.count) + digitsText
        }
        return text
    }
}
