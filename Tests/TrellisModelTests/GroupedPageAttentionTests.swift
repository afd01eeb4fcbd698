import XCTest
import TrellisCore
import TrellisKernels
import TrellisTestSupport
@testable import TrellisModel

/// `GroupedPageAttention` against brute-force attention in Double on random pages, over group
/// sizes, head sizes (SIMD chunks with and without a remainder), page sizes (tiles with and
/// without a tail) and lengths on both sides of page boundaries, at every kernel level this CPU
/// runs (the C kernels at AVX2/AVX-512, the Swift SIMD code below).
final class GroupedPageAttentionTests: XCTestCase {
    func testMatchesBruteForce() {
        var rng = SplitMix64(seed: 42)
        var cases = 0
        for level in KernelLevel.available {
        for headDim in [64, 128, 8, 22] {
            for pageSize in [32, 16, 8, 5, 40] {
                for group in [1, 2, 3, 4, 5, 7, 8] where headDim <= 64 || group <= 4 {
                    for length in Set([1, pageSize - 1, pageSize, pageSize + 1, 3 * pageSize + 7]) where length > 0 {
                        check(headDim: headDim, pageSize: pageSize, group: group, length: length, queryScale: 1,
                              level: level, &rng)
                        cases += 1
                    }
                }
            }
        }
        }
        XCTAssertGreaterThan(cases, 400 * KernelLevel.available.count)
    }

    /// Scores far beyond exp's range still give finite weights (softmax subtracts the maximum).
    func testLargeScoresStayFinite() {
        var rng = SplitMix64(seed: 7)
        for level in KernelLevel.available {
            for group in [1, 3, 6] {
                check(headDim: 64, pageSize: 32, group: group, length: 75, queryScale: 400, level: level, &rng)
            }
        }
    }

    /// Decode attention of one SmolLM2-shaped step (30 layers, 3 KV heads of 3 query heads,
    /// headDim 64, pages of 32 spanning all layers), on demand: `TRELLIS_BENCH=1 swift test
    /// --filter GroupedPageAttentionTests/testAttentionTimings`. One thread; thread CPU time, so
    /// the figures hold on a shared machine. "one head at a time" is the pre-grouping algorithm
    /// (the Swift kernels with group size 1, once per query head). Asserts nothing about speed.
    func testAttentionTimings() throws {
        guard ProcessInfo.processInfo.environment["TRELLIS_BENCH"] != nil else { throw XCTSkip("set TRELLIS_BENCH=1") }
        let layers = 30, kvHeads = 3, group = 3, hd = 64, pageSize = 32
        let headStride = pageSize * hd, valueOffset = kvHeads * headStride, layerStride = 2 * valueOffset
        let pageFloats = layers * layerStride
        for (requests, length) in [(1, 160), (8, 160)] {
            // Requests share their first pages (forks of one prompt); each owns its last page.
            let shared = (length - 1) / pageSize, pagesPerRequest = shared + 1
            let pageCount = shared + requests
            let storage = UnsafeMutablePointer<Float>.allocate(capacity: pageCount * pageFloats)
            defer { storage.deallocate() }
            for i in 0..<pageCount * pageFloats { storage[i] = Float((i &* 7_919) % 2_001) / 1_000 - 1 }
            var table: [UnsafeMutablePointer<Float>] = []
            for r in 0..<requests {
                for p in 0..<shared { table.append(storage + p * pageFloats) }
                table.append(storage + (shared + r) * pageFloats)
            }
            let queries = (0..<kvHeads * group * hd).map { Float($0 % 13) * 0.05 - 0.3 }
            let scores = UnsafeMutablePointer<Float>.allocate(capacity: group * pagesPerRequest * pageSize)
            let output = UnsafeMutablePointer<Float>.allocate(capacity: kvHeads * group * hd)
            defer { scores.deallocate(); output.deallocate() }

            func step(level: KernelLevel, headsPerCall: Int) {
                table.withUnsafeBufferPointer { t in
                    for l in 0..<layers {
                        for r in 0..<requests {
                            for g in 0..<kvHeads {
                                let kernel = GroupedPageAttention(
                                    pageSize: pageSize, headDim: hd, groupSize: headsPerCall,
                                    keyOffset: l * layerStride + g * headStride,
                                    valueOffset: l * layerStride + valueOffset + g * headStride, level: level)
                                let scoreStride = kernel.scoreStride(length)
                                for h in stride(from: 0, to: group, by: headsPerCall) {
                                    let offset = (g * group + h) * hd
                                    queries.withUnsafeBufferPointer { q in
                                        kernel.attend(queries: q.baseAddress! + offset, pages: t.baseAddress! + r * pagesPerRequest,
                                                      length: length, scores: scores, scoreStride: scoreStride,
                                                      output: output + offset)
                                    }
                                }
                            }
                        }
                    }
                }
            }
            var variants: [(String, KernelLevel, Int)] = [("one head at a time, Swift", .vector128, 1),
                                                          ("grouped, Swift", .vector128, group)]
            for level in [KernelLevel.avx2, .avx512] where level.isAvailable { variants.append(("grouped, \(level)", level, group)) }
            for (name, level, heads) in variants {
                step(level: level, headsPerCall: heads)
                var best = Double.infinity
                for _ in 0..<15 {
                    let t0 = Self.threadSeconds()
                    step(level: level, headsPerCall: heads)
                    best = min(best, Self.threadSeconds() - t0)
                }
                print("attention timing: \(requests) request(s), length \(length), \(name): \(String(format: "%.0f", best * 1e6)) us per step (best of 15, one thread)")
            }
        }
    }

    static func threadSeconds() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
    }

    /// The C kernels run exactly at AVX2 and AVX-512 (so the test above covers both paths).
    func testKernelLevelsThatHaveCKernels() {
        let page = UnsafeMutablePointer<Float>.allocate(capacity: 2 * 16 * 8)
        page.initialize(repeating: 0.5, count: 2 * 16 * 8)
        defer { page.deallocate() }
        var table = [page]
        let query = [Float](repeating: 1, count: 8)
        var scores = [Float](repeating: 0, count: 16)
        for level in KernelLevel.available {
            let ran = PageAttentionKernels.scores(queries: query, heads: 1, headDim: 8, pages: &table, keyOffset: 0,
                                                  pageSize: 16, length: 5, scale: 1, into: &scores, scoreStride: 16,
                                                  level: level)
            XCTAssertEqual(ran, level == .avx2 || level == .avx512, "\(level)")
            if ran { XCTAssertEqual(scores[4], 4, accuracy: 1e-6) }
        }
        XCTAssertFalse(PageAttentionKernels.scores(queries: query, heads: PageAttentionKernels.maxHeads + 1, headDim: 8,
                                                   pages: &table, keyOffset: 0, pageSize: 16, length: 5, scale: 1,
                                                   into: &scores, scoreStride: 16))
    }

    private func check(headDim hd: Int, pageSize: Int, group: Int, length: Int, queryScale: Float,
                       level: KernelLevel, _ rng: inout SplitMix64) {
        func uniform() -> Float { Float(rng.next() % 2_000_001) / 1_000_000 - 1 }
        // Keys and values at odd offsets inside each page, as the cache places other layers and heads.
        let keyOffset = 3, valueOffset = 3 + pageSize * hd + 5
        let pageFloats = valueOffset + pageSize * hd + 2
        let pageCount = (length + pageSize - 1) / pageSize
        let keys = (0..<length).map { _ in (0..<hd).map { _ in uniform() } }
        let values = (0..<length).map { _ in (0..<hd).map { _ in uniform() } }
        let queries = (0..<group * hd).map { _ in uniform() * queryScale }

        // Unfilled slots hold NaN: the kernel must never let them reach the output.
        var pages: [UnsafeMutablePointer<Float>] = (0..<pageCount).map { _ in
            let page = UnsafeMutablePointer<Float>.allocate(capacity: pageFloats)
            page.initialize(repeating: .nan, count: pageFloats)
            return page
        }
        defer { for page in pages { page.deallocate() } }
        for p in 0..<length {
            let page = pages[p / pageSize], slot = p % pageSize
            for d in 0..<hd {
                page[keyOffset + d * pageSize + slot] = keys[p][d]
                page[valueOffset + slot * hd + d] = values[p][d]
            }
        }

        let kernel = GroupedPageAttention(pageSize: pageSize, headDim: hd, groupSize: group,
                                          keyOffset: keyOffset, valueOffset: valueOffset, level: level)
        let stride = kernel.scoreStride(length)
        var scores = [Float](repeating: 0, count: group * stride)
        var output = [Float](repeating: .nan, count: group * hd)
        queries.withUnsafeBufferPointer { q in
            pages.withUnsafeMutableBufferPointer { table in
                kernel.attend(queries: q.baseAddress!, pages: UnsafePointer(table.baseAddress!), length: length,
                              scores: &scores, scoreStride: stride, output: &output)
            }
        }

        let label = "\(level): headDim \(hd), page \(pageSize), group \(group), length \(length)"
        var worst: Double = 0
        for h in 0..<group {
            let q = queries[h * hd..<(h + 1) * hd].map(Double.init)
            let logits = keys.map { k in (0..<hd).reduce(0.0) { $0 + q[$1] * Double(k[$1]) } / Double(hd).squareRoot() }
            let top = logits.max()!
            let e = logits.map { Foundation.exp($0 - top) }
            let total = e.reduce(0, +)
            for d in 0..<hd {
                let expected = (0..<length).reduce(0.0) { $0 + e[$1] / total * Double(values[$1][d]) }
                let got = Double(output[h * hd + d])
                XCTAssertTrue(got.isFinite, "\(label): head \(h) dim \(d) is \(got)")
                worst = max(worst, abs(got - expected))
            }
        }
        XCTAssertLessThan(worst, 2e-5, label)
    }
}
