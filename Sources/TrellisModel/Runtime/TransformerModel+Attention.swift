import COpenBLAS
import TrellisKernels

extension TransformerModel {
    /// Requests appending at least this many tokens attend with `sgemm` over query tiles;
    /// shorter appends (decode, beam steps) attend page by page.
    static let tiledAttentionRows = 16
    /// Query rows per tile of the sgemm path (bounds the score tile to tile × length floats).
    static let attentionTile = 128

    /// Causal grouped-query attention of every plan row over its sequence's cache at layer l,
    /// writing o [N × heads·headDim]. The rows' own keys and values are already cached.
    func attend(layer l: Int) {
        if !plan.groupItems.isEmpty { attendPageByPage(layer: l) }
        for r in plan.tiledRequests { attendTiled(request: r, layer: l) }
    }

    /// Attention for short appends, one (request, KV head) item at a time, items handed out to
    /// workers. Per new row and query head of the group: scores over each page's transposed
    /// keys, 16 positions per SIMD accumulator; softmax; then Σ p·v over the pages' values,
    /// 16 dimensions per accumulator. O(new · length · headDim) per query head.
    private func attendPageByPage(layer l: Int) {
        let c = config
        let group = c.groupSize, hd = c.headDim
        let stride = plan.longestGroupItem
        let scoresBase = UncheckedSendable(scratch.scores.reserve(stride * loop.workers))
        let q = scratch.query.pointer, out = scratch.attention.pointer
        let pageSize = cache.pageSize
        let scale = 1 / Float(hd).squareRoot()
        let plan = self.plan, cache = self.cache, loop = self.loop
        plan.pageTable.withUnsafeBufferPointer { table in
        loop.forEach(plan.groupItems.count) { item, worker in
            let scores = scoresBase.value + worker * stride
            let r = plan.groupItems[item] / c.kvHeads, kvHead = plan.groupItems[item] % c.kvHeads
            let pages = table.baseAddress! + plan.pageTableStart[r]
            for i in 0..<plan.count[r] {
                let t = plan.rowStart[r] + i
                let length = plan.startPosition[r] + i + 1
                for h in kvHead * group..<(kvHead + 1) * group {
                    let query = q + t * c.queryWidth + h * hd
                    var p = 0
                    while p < length {
                        let keys = cache.keys(pages[p / pageSize], layer: l, head: kvHead)
                        pageScores(query, keys, pageSize: pageSize, count: min(pageSize, length - p),
                                   headDim: hd, scale: scale, into: scores + p)
                        p += pageSize
                    }
                    softmaxInPlace(scores, length)
                    let o = out + t * c.queryWidth + h * hd
                    o.update(repeating: 0, count: hd)
                    p = 0
                    while p < length {
                        let values = cache.values(pages[p / pageSize], layer: l, head: kvHead)
                        accumulateValues(scores + p, values, count: min(pageSize, length - p), headDim: hd, into: o)
                        p += pageSize
                    }
                }
            }
        }
        }
    }

    /// Attention for a long append: per KV head, gather its keys [length × hd] and values
    /// [length × hd] contiguous, then per query head and tile of query rows, scores = Q·Kᵀ
    /// (sgemm), causal softmax, O = P·V (sgemm). Keys beyond a tile's last position are never
    /// touched.
    private func attendTiled(request r: Int, layer l: Int) {
        let c = config, hd = c.headDim
        let count = plan.count[r], start = plan.startPosition[r], length = start + count
        let tableStart = plan.pageTableStart[r]
        let pageSize = cache.pageSize
        let keys = scratch.gatheredKeys.reserve(length * hd)
        let values = scratch.gatheredValues.reserve(length * hd)
        let tile = min(Self.attentionTile, count)
        let scores = scratch.tileScores.reserve(tile * length)
        let q = scratch.query.pointer + plan.rowStart[r] * c.queryWidth
        let out = scratch.attention.pointer + plan.rowStart[r] * c.queryWidth
        let scale = 1 / Float(hd).squareRoot()
        for group in 0..<c.kvHeads {
            var p = 0
            while p < length {
                let page = plan.pageTable[tableStart + p / pageSize]
                let n = min(pageSize, length - p)
                let pageKeys = cache.keys(page, layer: l, head: group)
                for j in 0..<n {
                    let row = keys + (p + j) * hd
                    for d in 0..<hd { row[d] = pageKeys[d * pageSize + j] }
                }
                (values + p * hd).update(from: cache.values(page, layer: l, head: group), count: n * hd)
                p += pageSize
            }
            for head in group * c.groupSize..<(group + 1) * c.groupSize {
                var i0 = 0
                while i0 < count {
                    let rows = min(tile, count - i0)
                    let span = start + i0 + rows   // keys visible to the tile's last row
                    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(rows), Int32(span), Int32(hd),
                                scale, q + i0 * c.queryWidth + head * hd, Int32(c.queryWidth),
                                keys, Int32(hd), 0, scores, Int32(span))
                    let tileScores = UncheckedSendable(scores)
                    forEachRow(rows) { i in
                        let row = tileScores.value + i * span
                        let visible = start + i0 + i + 1
                        softmaxInPlace(row, visible)
                        if visible < span { (row + visible).update(repeating: 0, count: span - visible) }
                    }
                    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(rows), Int32(hd), Int32(span),
                                1, scores, Int32(span), values, Int32(hd), 0,
                                out + i0 * c.queryWidth + head * hd, Int32(c.queryWidth))
                    i0 += rows
                }
            }
        }
    }
}

/// scores[j] = scale · Σ_d query[d] · keysT[d·pageSize + j] for j < count (one page).
@inline(__always)
private func pageScores(_ query: UnsafePointer<Float>, _ keysT: UnsafePointer<Float>, pageSize: Int, count: Int,
                        headDim: Int, scale: Float, into scores: UnsafeMutablePointer<Float>) {
    var j = 0
    while j + 16 <= count {
        var acc = SIMD16<Float>()
        var k = keysT + j
        for d in 0..<headDim {
            acc += SIMD16(repeating: query[d]) * UnsafeRawPointer(k).loadUnaligned(as: SIMD16<Float>.self)
            k += pageSize
        }
        UnsafeMutableRawPointer(scores + j).storeBytes(of: acc * scale, as: SIMD16<Float>.self)
        j += 16
    }
    while j < count {
        var s: Float = 0
        for d in 0..<headDim { s += query[d] * keysT[d * pageSize + j] }
        scores[j] = s * scale
        j += 1
    }
}

/// out[d] += Σ_j weights[j] · values[j·headDim + d] for j < count (one page).
@inline(__always)
private func accumulateValues(_ weights: UnsafePointer<Float>, _ values: UnsafePointer<Float>, count: Int,
                              headDim: Int, into out: UnsafeMutablePointer<Float>) {
    var d = 0
    while d + 16 <= headDim {
        var acc = UnsafeRawPointer(out + d).loadUnaligned(as: SIMD16<Float>.self)
        var v = values + d
        for j in 0..<count {
            acc += SIMD16(repeating: weights[j]) * UnsafeRawPointer(v).loadUnaligned(as: SIMD16<Float>.self)
            v += headDim
        }
        UnsafeMutableRawPointer(out + d).storeBytes(of: acc, as: SIMD16<Float>.self)
        d += 16
    }
    while d < headDim {
        var s = out[d]
        for j in 0..<count { s += weights[j] * values[j * headDim + d] }
        out[d] = s
        d += 1
    }
}
