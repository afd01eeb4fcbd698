import TrellisCore

extension TransformerModel {
    /// Appends each request's tokens to its sequence in one batched pass and writes the logits
    /// after each request's last token into row i of `logits` (resized to `requests.count`).
    ///
    /// Everything is checked before any cache changes: unknown or repeated sequences, empty
    /// requests, tokens outside the vocabulary and overlong sequences raise `TrellisError`.
    public func extend(_ requests: [SequenceExtension], logits: LogitMatrix) throws {
        try forward(requests, logits: logits, everyRow: false)
    }

    /// Like `extend`, but writes one logit row per appended token (request i's rows start after
    /// all rows of the requests before it). The output head then runs on every row, which costs
    /// about a fifth more than `extend` for long appends of a 135M model.
    public func extendReturningAllLogits(_ requests: [SequenceExtension], logits: LogitMatrix) throws {
        try forward(requests, logits: logits, everyRow: true)
    }

    private func forward(_ requests: [SequenceExtension], logits: LogitMatrix, everyRow: Bool) throws {
        try validate(requests, logits: logits)
        logits.resize(rows: everyRow ? requests.reduce(0) { $0 + $1.tokens.count } : requests.count)
        guard !requests.isEmpty else { return }
        makePlan(requests)
        let c = config
        let n = plan.rows
        scratch.reserve(rows: n, requests: requests.count, config: c)
        rope.reserve(positions: plan.rowPosition.max()! + 1)

        // x[t] = embedding row of token t.
        let x = scratch.residual.pointer
        var t = 0
        for request in requests {
            for token in request.tokens {
                weights.tokenEmbedding.dequantizeRow(Int(token), into: x + t * c.hidden)
                t += 1
            }
        }
        for l in 0..<c.layers { layerForward(l) }

        if everyRow {
            // Final norm of every row (into the free normed buffer), then the head on all rows.
            let h = scratch.normed.pointer
            forEachRow(n) { t in
                rmsNorm(x + t * c.hidden, weight: weights.outputNorm, epsilon: c.rmsEpsilon,
                        into: h + t * c.hidden, count: c.hidden)
            }
            weights.output.apply(h, count: n, into: logits.buffer.baseAddress!, loop: loop, packed: scratch.packed)
            return
        }
        // Final norm of each request's last row, then the output head into the logit rows.
        let last = scratch.lastHidden.pointer
        for r in 0..<requests.count {
            let row = plan.rowStart[r] + plan.count[r] - 1
            rmsNorm(x + row * c.hidden, weight: weights.outputNorm, epsilon: c.rmsEpsilon,
                    into: last + r * c.hidden, count: c.hidden)
        }
        weights.output.apply(last, count: requests.count, into: logits.buffer.baseAddress!, loop: loop,
                             packed: scratch.packed)
    }

    private func validate(_ requests: [SequenceExtension], logits: LogitMatrix) throws {
        guard logits.width == vocabularySize else {
            throw TrellisError.invalidArgument(
                "logit matrix width \(logits.width) differs from the vocabulary size \(vocabularySize)")
        }
        plan.seenSequences.removeAll(keepingCapacity: true)
        for request in requests {
            let id = request.sequence.rawValue
            guard let length = cache.length(of: request.sequence) else { throw TrellisError.sequenceUnknown(id) }
            guard plan.seenSequences.insert(id).inserted else {
                throw TrellisError.invalidArgument("sequence \(request.sequence) appears twice in one extend")
            }
            guard !request.tokens.isEmpty else {
                throw TrellisError.invalidArgument("request for \(request.sequence) carries no tokens")
            }
            if let bad = request.tokens.first(where: { $0 < 0 || Int($0) >= vocabularySize }) {
                throw TrellisError.invalidArgument("token \(bad) is outside the vocabulary of \(vocabularySize)")
            }
            let newLength = length + request.tokens.count
            guard newLength <= contextLength else {
                throw TrellisError.limitExceeded(what: "length of \(request.sequence)", limit: contextLength, got: newLength)
            }
        }
    }

    /// Grows the caches and records where every request's rows and pages are.
    private func makePlan(_ requests: [SequenceExtension]) {
        plan.reset()
        for (r, request) in requests.enumerated() {
            let count = request.tokens.count
            let start = cache.append(request.sequence, count: count)
            plan.rowStart.append(plan.rows)
            plan.count.append(count)
            plan.startPosition.append(start)
            plan.pageTableStart.append(plan.pageTable.count)
            cache.appendPageTable(of: request.sequence, to: &plan.pageTable)
            for i in 0..<count {
                plan.rowRequest.append(r)
                plan.rowPosition.append(start + i)
            }
            plan.rows += count
            if count >= tiledAttentionRows {
                plan.tiledRequests.append(r)
                plan.longestTiled = max(plan.longestTiled, start + count)
            } else {
                // Rows in runs, so a long append spreads over the workers, not only its KV heads.
                var first = 0
                while first < count {
                    let rows = min(Self.attentionRowRun, count - first)
                    for g in 0..<config.kvHeads {
                        plan.groupItems.append(AttentionItem(request: r, kvHead: g, firstRow: first, rows: rows))
                    }
                    first += rows
                }
                plan.longestGroupItem = max(plan.longestGroupItem, start + count)
            }
        }
    }

    /// One transformer block over all rows of the plan, updating the residual stream in place.
    private func layerForward(_ l: Int) {
        let c = config
        let w = weights.layers[l]
        let n = plan.rows
        let x = scratch.residual.pointer, h = scratch.normed.pointer
        let q = scratch.query.pointer, k = scratch.key.pointer, v = scratch.value.pointer

        // Attention: h = norm(x); q, k, v = h·Wᵀ (+ b); rotate q, k; cache k, v; attend.
        // Rows that feed int16 products are quantized as soon as they are made, in parallel.
        let packed = scratch.packed
        let qkvPacked = LinearWeight.takesInt16(w.query, w.key, w.value, rows: n)
            && (try? packed.reserve(rows: n, cols: c.hidden)) != nil
        forEachRow(n) { t in
            rmsNorm(x + t * c.hidden, weight: w.attentionNorm, epsilon: c.rmsEpsilon,
                    into: h + t * c.hidden, count: c.hidden)
            if qkvPacked { packed.packRow(h + t * c.hidden, at: t) }
        }
        LinearWeight.apply(w.query, q, w.key, k, w.value, v, input: h, count: n, loop: loop, packed: packed,
                           packedInput: qkvPacked)
        if let qb = w.queryBias, let kb = w.keyBias, let vb = w.valueBias {
            for t in 0..<n {
                addInPlace(q + t * c.queryWidth, qb, c.queryWidth)
                addInPlace(k + t * c.kvWidth, kb, c.kvWidth)
                addInPlace(v + t * c.kvWidth, vb, c.kvWidth)
            }
        }
        for t in 0..<n {
            let position = plan.rowPosition[t]
            rope.apply(q + t * c.queryWidth, heads: c.heads, headDim: c.headDim, position: position)
            rope.apply(k + t * c.kvWidth, heads: c.kvHeads, headDim: c.headDim, position: position)
            storeKeyValue(row: t, layer: l)
        }
        attend(layer: l)
        w.attentionOutput.apply(scratch.attention.pointer, count: n, into: h, loop: loop, packed: packed)

        // Feed-forward: x += attention output; h = norm(x); x += W_down · (silu(W_gate·h) ⊙ W_up·h).
        let gateUpPacked = LinearWeight.takesInt16(w.gate, w.up, rows: n)
            && (try? packed.reserve(rows: n, cols: c.hidden)) != nil
        forEachRow(n) { t in
            addInPlace(x + t * c.hidden, h + t * c.hidden, c.hidden)
            rmsNorm(x + t * c.hidden, weight: w.ffnNorm, epsilon: c.rmsEpsilon,
                    into: h + t * c.hidden, count: c.hidden)
            if gateUpPacked { packed.packRow(h + t * c.hidden, at: t) }
        }
        let g = scratch.gate.pointer, u = scratch.up.pointer
        LinearWeight.apply(w.gate, g, w.up, u, nil, nil, input: h, count: n, loop: loop, packed: packed,
                           packedInput: gateUpPacked)
        let downPacked = LinearWeight.takesInt16(w.down, rows: n) && (try? packed.reserve(rows: n, cols: c.ffn)) != nil
        forEachRow(n) { t in
            siluMultiply(g + t * c.ffn, u + t * c.ffn, c.ffn)
            if downPacked { packed.packRow(g + t * c.ffn, at: t) }
        }
        w.down.apply(g, count: n, into: h, loop: loop, packed: packed, packedInput: downPacked)
        addInPlace(x, h, n * c.hidden)
    }

    static let parallelRowThreshold = 4

    /// Copies row t's rotated key and its value into the row's cache slot for layer l.
    @inline(__always)
    private func storeKeyValue(row t: Int, layer l: Int) {
        let c = config
        let r = plan.rowRequest[t], position = plan.rowPosition[t]
        let page = plan.pageTable[plan.pageTableStart[r] + position / cache.pageSize]
        let slot = position % cache.pageSize, pageSize = cache.pageSize
        let k = scratch.key.pointer + t * c.kvWidth, v = scratch.value.pointer + t * c.kvWidth
        for head in 0..<c.kvHeads {
            let keys = cache.keys(page, layer: l, head: head) + slot
            let source = k + head * c.headDim
            for d in 0..<c.headDim { keys[d * pageSize] = source[d] }
            (cache.values(page, layer: l, head: head) + slot * c.headDim).update(from: v + head * c.headDim, count: c.headDim)
        }
    }

    /// Runs `body` for every row, in parallel from `parallelRowThreshold` rows. A row's work
    /// (norm and quantization, SwiGLU and quantization, a softmax) takes about a microsecond,
    /// about what a dispatch costs, so one or two rows run inline.
    @inline(__always)
    func forEachRow(_ n: Int, _ body: (Int) -> Void) {
        if n < Self.parallelRowThreshold {
            for t in 0..<n { body(t) }
            return
        }
        loop.forEachChunk(n, grain: 2) { range in
            for t in range { body(t) }
        }
    }
}
