import COpenBLAS
import CTrellisKernels
import TrellisKernels

extension TransformerModel {
    /// Requests appending at least this many tokens attend with `sgemm` over query tiles;
    /// shorter appends (decode, beam steps) attend page by page with kernel products.
    static let tiledAttentionRows = 16
    /// Query rows per tile of the sgemm path (bounds the score tile to tile × length floats).
    static let attentionTile = 128

    /// Causal grouped-query attention of every plan row over its sequence's cache at layer l,
    /// writing o [N × heads·headDim]. The rows' own keys and values are already cached.
    func attend(layer l: Int) {
        if !plan.headItems.isEmpty { attendPageByPage(layer: l) }
        for r in plan.tiledRequests { attendTiled(request: r, layer: l) }
    }

    /// Attention for short appends, one (request, KV head) item at a time, items handed out to
    /// workers. For each new row, the group's query heads (contiguous in q) meet each cache page
    /// in two products: scores[heads × page] = Q·Kᵀ and O[heads × headDim] += P·V (values are
    /// stored transposed, so both are `Y = X·Wᵀ` with the page as W). O(new · length · headDim)
    /// work per query head, two kernel calls per page.
    private func attendPageByPage(layer l: Int) {
        let c = config
        let group = c.groupSize, hd = c.headDim
        let stride = plan.longestHeadItem
        let scoresBase = UncheckedSendable(scratch.scores.reserve(stride * group * loop.workers))
        let q = scratch.query.pointer, out = scratch.attention.pointer
        let pageSize = cache.pageSize
        let scale = 1 / Float(hd).squareRoot()
        let plan = self.plan, cache = self.cache
        let level = Int32(-1)   // the fastest kernels this CPU runs
        loop.forEach(plan.headItems.count) { item, worker in
            let scores = scoresBase.value + worker * stride * group
            let r = plan.headItems[item] / c.kvHeads, kvHead = plan.headItems[item] % c.kvHeads
            let tableStart = plan.pageTableStart[r]
            for i in 0..<plan.count[r] {
                let t = plan.rowStart[r] + i
                let length = plan.startPosition[r] + i + 1
                let queries = q + t * c.queryWidth + kvHead * group * hd   // [group × hd]
                VectorMath.scale(queries, by: scale, count: group * hd)      // q/√d, once per row
                var p = 0
                while p < length {
                    let page = plan.pageTable[tableStart + p / pageSize]
                    let n = min(pageSize, length - p)
                    trellis_matmul_rows(level, Int32(TRELLIS_FORMAT_F32), cache.keys(page, layer: l, head: kvHead),
                                        hd * 4, Int64(hd), queries, Int64(hd), Int64(group),
                                        scores + p, Int64(stride), 0, Int64(n), 0)
                    p += pageSize
                }
                for h in 0..<group { softmaxInPlace(scores + h * stride, length) }
                let o = out + t * c.queryWidth + kvHead * group * hd             // [group × hd]
                p = 0
                while p < length {
                    let page = plan.pageTable[tableStart + p / pageSize]
                    let n = min(pageSize, length - p)
                    trellis_matmul_rows(level, Int32(TRELLIS_FORMAT_F32), cache.values(page, layer: l, head: kvHead),
                                        pageSize * 4, Int64(n), scores + p, Int64(stride), Int64(group),
                                        o, Int64(hd), 0, Int64(hd), p == 0 ? 0 : 1)
                    p += pageSize
                }
            }
        }
    }

    /// Attention for a long append: per KV head, gather its keys [length × hd] and transposed
    /// values [hd × length] contiguous, then per query head and tile of query rows,
    /// scores = Q·Kᵀ (sgemm), causal softmax, O = P·V (sgemm). Keys beyond a tile's last
    /// position are never touched.
    private func attendTiled(request r: Int, layer l: Int) {
        let c = config, hd = c.headDim
        let count = plan.count[r], start = plan.startPosition[r], length = start + count
        let tableStart = plan.pageTableStart[r]
        let pageSize = cache.pageSize
        let keys = scratch.gatheredKeys.reserve(length * hd)
        let values = scratch.gatheredValues.reserve(length * hd)   // [hd × length]
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
                (keys + p * hd).update(from: cache.keys(page, layer: l, head: group), count: n * hd)
                let pageValues = cache.values(page, layer: l, head: group)
                for d in 0..<hd { (values + d * length + p).update(from: pageValues + d * pageSize, count: n) }
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
                    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(rows), Int32(hd), Int32(span),
                                1, scores, Int32(span), values, Int32(length), 0,
                                out + i0 * c.queryWidth + head * hd, Int32(c.queryWidth))
                    i0 += rows
                }
            }
        }
    }
}
