import COpenBLAS
import TrellisKernels

extension TransformerModel {
    /// Requests appending at least this many tokens attend with `sgemm` over query tiles;
    /// shorter appends (decode, beam steps) attend page by page. Where the page-by-page
    /// attention has SIMD kernels (AVX2, AVX-512) it wins at every length — prefill-128 1,635 ->
    /// 3,012 tok/s and prefill-512 1,392-1,487 -> 2,586 tok/s on the AVX-512 host, where sgemm's
    /// own threads also fought the pool's — so only the portable levels keep the sgemm path.
    static let defaultTiledAttentionRows: Int = {
        switch KernelLevel.fastest {
        case .avx512, .avx2: return Int.max
        default: return 16
        }
    }()
    /// Rows per page-by-page attention item (a long append is split so that all workers share it).
    static let attentionRowRun = 16
    /// Query rows per tile of the sgemm path (bounds the score tile to tile × length floats).
    static let attentionTile = 128

    /// Causal grouped-query attention of every plan row over its sequence's cache at layer l,
    /// writing o [N × heads·headDim]. The rows' own keys and values are already cached.
    func attend(layer l: Int) {
        if !plan.groupItems.isEmpty { attendPageByPage(layer: l) }
        for r in plan.tiledRequests { attendTiled(request: r, layer: l) }
    }

    /// Attention for short appends, one (request, KV head) item at a time, items handed out to
    /// workers: per new row, all query heads of the group at once over the group's pages (see
    /// `GroupedPageAttention`). O(new · length · headDim) per query head.
    private func attendPageByPage(layer l: Int) {
        let c = config
        let group = c.groupSize, hd = c.headDim
        let kernel = GroupedPageAttention(pageSize: cache.pageSize, headDim: hd, groupSize: group,
                                          keyOffset: l * cache.layerStride, valueOffset: l * cache.layerStride + cache.valueOffset)
        let stride = kernel.scoreStride(plan.longestGroupItem)
        let headStride = cache.headStride
        let scoresBase = UncheckedSendable(scratch.scores.reserve(group * stride * loop.workers))
        let q = scratch.query.pointer, out = scratch.attention.pointer
        let plan = self.plan, loop = self.loop
        plan.pageTable.withUnsafeBufferPointer { table in
        loop.forEach(plan.groupItems.count) { item, worker in
            let scores = scoresBase.value + worker * group * stride
            let work = plan.groupItems[item]
            let r = work.request, kvHead = work.kvHead
            let pages = table.baseAddress! + plan.pageTableStart[r]
            // The KV head's keys and values sit headStride further into each page per head.
            let headKernel = GroupedPageAttention(pageSize: kernel.pageSize, headDim: hd, groupSize: group,
                                                  keyOffset: kernel.keyOffset + kvHead * headStride,
                                                  valueOffset: kernel.valueOffset + kvHead * headStride)
            for i in work.firstRow..<work.firstRow + work.rows {
                let t = plan.rowStart[r] + i
                let offset = t * c.queryWidth + kvHead * group * hd
                headKernel.attend(queries: q + offset, pages: pages, length: plan.startPosition[r] + i + 1,
                                  scores: scores, scoreStride: stride, output: out + offset)
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
