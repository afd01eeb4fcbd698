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
