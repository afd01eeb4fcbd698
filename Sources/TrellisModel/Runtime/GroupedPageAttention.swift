import TrellisKernels

/// Attention of one new row's query heads of a GQA group over the group's paged keys and values
/// (decode and beam steps: a few new rows against a long cache).
///
/// Pages hold, for the group's KV head, keys transposed [headDim × pageSize] at `keyOffset` and
/// values [pageSize × headDim] at `valueOffset` (the `PagedKVCache` layout). The query heads of
/// the group run together in blocks of up to four, so each key and value vector loaded from a
/// page serves every head of the block, and each head keeps its own accumulators (position
/// tiles for scores, dimension chunks for the weighted value sum), so the multiply-adds of a
/// loop step are independent rather than one dependent chain. On AVX2 and AVX-512 the blocks run
/// in `PageAttentionKernels` (FMA, masked tails); elsewhere in the Swift SIMD code below, which
/// the compiler emits for baseline x86-64 (SSE, no FMA, 16 registers), where it runs within 5 %
/// of one head at a time (BENCHMARKS.md, session 5); it is kept for the levels without a kernel.
/// Softmax subtracts each row's maximum. O(groupSize · length · headDim) time, no allocation:
/// the caller passes `groupSize · scoreStride(length)` floats of scratch.
struct GroupedPageAttention {
    let pageSize: Int
    let headDim: Int
    let groupSize: Int
    /// Offsets of the KV head's transposed keys and its values inside a page.
    let keyOffset: Int
    let valueOffset: Int
    let scale: Float
    /// Kernel level: AVX2 and AVX-512 run `PageAttentionKernels`, lower levels the Swift SIMD code.
    let level: KernelLevel

    init(pageSize: Int, headDim: Int, groupSize: Int, keyOffset: Int, valueOffset: Int, level: KernelLevel = .best) {
        self.pageSize = pageSize
        self.headDim = headDim
        self.groupSize = groupSize
        self.keyOffset = keyOffset
        self.valueOffset = valueOffset
        self.level = level
        scale = 1 / Float(headDim).squareRoot()
    }

    /// Floats per head of score scratch for sequences up to `length`: whole pages, since full
    /// 16-position tiles are stored even past the last filled slot of the last page.
    func scoreStride(_ length: Int) -> Int {
        (length + pageSize - 1) / pageSize * pageSize
    }

    /// output[h·headDim + d] = Σ_j softmax_j(scale · q_h·k_j) · v_j[d] for the group's heads h,
    /// positions j < length. `queries` and `output` hold the group's heads back to back.
    func attend(queries: UnsafePointer<Float>, pages: UnsafePointer<UnsafeMutablePointer<Float>>, length: Int,
                scores: UnsafeMutablePointer<Float>, scoreStride: Int, output: UnsafeMutablePointer<Float>) {
        var h0 = 0
        while h0 < groupSize {
            // Balanced blocks of at most four heads (the SIMD kernels' limit): 7 → 4 + 3, 6 → 3 + 3.
            let remaining = groupSize - h0
            let blocks = (remaining + PageAttentionKernels.maxHeads - 1) / PageAttentionKernels.maxHeads
            let block = (remaining + blocks - 1) / blocks
            let q = queries + h0 * headDim, s = scores + h0 * scoreStride, o = output + h0 * headDim
            if !PageAttentionKernels.scores(queries: q, heads: block, headDim: headDim, pages: pages,
                                            keyOffset: keyOffset, pageSize: pageSize, length: length, scale: scale,
                                            into: s, scoreStride: scoreStride, level: level) {
                portableScores(heads: block, q, pages, length, s, scoreStride)
            }
            for h in 0..<block { VectorMath.softmax(s + h * scoreStride, count: length, level: level) }
            if !PageAttentionKernels.values(weights: s, weightStride: scoreStride, heads: block, headDim: headDim,
                                            pages: pages, valueOffset: valueOffset, pageSize: pageSize,
                                            length: length, into: o, level: level) {
                portableValues(heads: block, s, scoreStride, pages, length, o)
            }
            h0 += block
        }
    }

    // MARK: portable Swift SIMD version (levels without a C kernel)

    /// The Swift kernels run at most three heads at once: with baseline x86-64 code (SSE, 16
    /// registers) three heads' accumulators fill 12 of them; four heads go as two pairs.
    private func portableScores(heads: Int, _ q: UnsafePointer<Float>, _ pages: UnsafePointer<UnsafeMutablePointer<Float>>,
                                _ length: Int, _ scores: UnsafeMutablePointer<Float>, _ stride: Int) {
        forEachHeadBlock(heads) { h, block in
            let qh = q + h * headDim, sh = scores + h * stride
            switch block {
            case 3: scoreBlock(HeadBlock3.self, qh, pages, length, sh, stride)
            case 2: scoreBlock(HeadBlock2.self, qh, pages, length, sh, stride)
            default: scoreBlock(HeadBlock1.self, qh, pages, length, sh, stride)
            }
        }
    }

    private func portableValues(heads: Int, _ weights: UnsafePointer<Float>, _ stride: Int,
                                _ pages: UnsafePointer<UnsafeMutablePointer<Float>>, _ length: Int,
                                _ output: UnsafeMutablePointer<Float>) {
        forEachHeadBlock(heads) { h, block in
            let w = weights + h * stride, o = output + h * headDim
            switch block {
            case 3: valueBlock(HeadBlock3.self, w, stride, pages, length, o)
            case 2: valueBlock(HeadBlock2.self, w, stride, pages, length, o)
            default: valueBlock(HeadBlock1.self, w, stride, pages, length, o)
            }
        }
    }

    /// Calls `body(firstHead, blockSize)` over `heads` in blocks of at most three (four as two pairs).
    @inline(__always)
    private func forEachHeadBlock(_ heads: Int, _ body: (_ first: Int, _ size: Int) -> Void) {
        var h = 0
        while h < heads {
            let block = heads - h == 4 ? 2 : min(3, heads - h)
            body(h, block)
            h += block
        }
    }

    // MARK: scores

    /// scores[h·stride + p] = scale · q_h·k_p for the block's heads and every position p < length
    /// (full tiles may also fill slots past length inside the last page).
    @inline(__always)
    private func scoreBlock<Heads: HeadBlock>(_: Heads.Type, _ q: UnsafePointer<Float>,
                                              _ pages: UnsafePointer<UnsafeMutablePointer<Float>>, _ length: Int,
                                              _ scores: UnsafeMutablePointer<Float>, _ stride: Int) {
        var p = 0, page = 0
        while p < length {
            let keys = UnsafePointer(pages[page] + keyOffset)
            let count = min(pageSize, length - p)
            var j = 0
            while j < count && j + 16 <= pageSize {
                scoreTile(SIMD16<Float>.self, Heads.self, q, keys + j, scores + p + j, stride)
                j += 16
            }
            while j < count && j + 4 <= pageSize {
                scoreTile(SIMD4<Float>.self, Heads.self, q, keys + j, scores + p + j, stride)
                j += 4
            }
            while j < count {
                for h in 0..<Heads.count {
                    let qh = q + h * headDim
                    var s: Float = 0
                    for d in 0..<headDim { s += qh[d] * keys[d * pageSize + j] }
                    scores[h * stride + p + j] = s * scale
                }
                j += 1
            }
            p += pageSize
            page += 1
        }
    }

    /// One tile of Lanes positions starting at `keys` (already offset to the tile's first slot)
    /// for every head of the block: per dimension, one key load shared by the heads.
    @inline(__always)
    private func scoreTile<Lanes: SIMD, Heads: HeadBlock>(_: Lanes.Type, _: Heads.Type, _ q: UnsafePointer<Float>,
                                                          _ keys: UnsafePointer<Float>,
                                                          _ scores: UnsafeMutablePointer<Float>, _ stride: Int)
    where Lanes.Scalar == Float {
        let hd = headDim, ps = pageSize
        let q1 = q + (Heads.count > 1 ? hd : 0), q2 = q + (Heads.count > 2 ? 2 * hd : 0)
        var a0 = Lanes(), a1 = Lanes(), a2 = Lanes()
        var k = UnsafeRawPointer(keys)
        let step = ps * MemoryLayout<Float>.stride
        for d in 0..<hd {
            let key = k.loadUnaligned(as: Lanes.self)
            a0 += Lanes(repeating: q[d]) * key
            if Heads.count > 1 { a1 += Lanes(repeating: q1[d]) * key }
            if Heads.count > 2 { a2 += Lanes(repeating: q2[d]) * key }
            k += step
        }
        let scale = Lanes(repeating: self.scale)
        UnsafeMutableRawPointer(scores).storeBytes(of: a0 * scale, as: Lanes.self)
        if Heads.count > 1 { UnsafeMutableRawPointer(scores + stride).storeBytes(of: a1 * scale, as: Lanes.self) }
        if Heads.count > 2 { UnsafeMutableRawPointer(scores + 2 * stride).storeBytes(of: a2 * scale, as: Lanes.self) }
    }

    // MARK: weighted values

    /// output[h·headDim + d] = Σ_{p < length} weights[h·stride + p] · v_p[d] for the block's heads.
    @inline(__always)
    private func valueBlock<Heads: HeadBlock>(_: Heads.Type, _ weights: UnsafePointer<Float>, _ stride: Int,
                                              _ pages: UnsafePointer<UnsafeMutablePointer<Float>>, _ length: Int,
                                              _ output: UnsafeMutablePointer<Float>) {
        var d = 0
        while d + 16 <= headDim {
            valueChunk(SIMD16<Float>.self, Heads.self, weights, stride, pages, length, d, output)
            d += 16
        }
        while d + 4 <= headDim {
            valueChunk(SIMD4<Float>.self, Heads.self, weights, stride, pages, length, d, output)
            d += 4
        }
        while d < headDim {
            for h in 0..<Heads.count {
                let w = weights + h * stride
                var s: Float = 0
                var p = 0, page = 0
                while p < length {
                    let values = pages[page] + valueOffset
                    for j in 0..<min(pageSize, length - p) { s += w[p + j] * values[j * headDim + d] }
                    p += pageSize
                    page += 1
                }
                output[h * headDim + d] = s
            }
            d += 1
        }
    }

    /// Dimensions d..<d+Lanes of every head of the block, accumulated over all pages in
    /// registers: per position, one value load shared by the heads.
    @inline(__always)
    private func valueChunk<Lanes: SIMD, Heads: HeadBlock>(_: Lanes.Type, _: Heads.Type,
                                                           _ weights: UnsafePointer<Float>, _ stride: Int,
                                                           _ pages: UnsafePointer<UnsafeMutablePointer<Float>>,
                                                           _ length: Int, _ d: Int, _ output: UnsafeMutablePointer<Float>)
    where Lanes.Scalar == Float {
        let w0 = weights, w1 = weights + (Heads.count > 1 ? stride : 0), w2 = weights + (Heads.count > 2 ? 2 * stride : 0)
        var a0 = Lanes(), a1 = Lanes(), a2 = Lanes()
        let step = headDim * MemoryLayout<Float>.stride
        var p = 0, page = 0
        while p < length {
            var v = UnsafeRawPointer(pages[page] + valueOffset + d)
            for j in p..<p + min(pageSize, length - p) {
                let value = v.loadUnaligned(as: Lanes.self)
                a0 += Lanes(repeating: w0[j]) * value
                if Heads.count > 1 { a1 += Lanes(repeating: w1[j]) * value }
                if Heads.count > 2 { a2 += Lanes(repeating: w2[j]) * value }
                v += step
            }
            p += pageSize
            page += 1
        }
        UnsafeMutableRawPointer(output + d).storeBytes(of: a0, as: Lanes.self)
        if Heads.count > 1 { UnsafeMutableRawPointer(output + headDim + d).storeBytes(of: a1, as: Lanes.self) }
        if Heads.count > 2 { UnsafeMutableRawPointer(output + 2 * headDim + d).storeBytes(of: a2, as: Lanes.self) }
    }
}

/// How many query heads one pass of `GroupedPageAttention` serves, as a type so that the
/// specialized kernels fold the per-head branches away.
protocol HeadBlock { static var count: Int { get } }
enum HeadBlock1: HeadBlock { static var count: Int { 1 } }
enum HeadBlock2: HeadBlock { static var count: Int { 2 } }
enum HeadBlock3: HeadBlock { static var count: Int { 3 } }
