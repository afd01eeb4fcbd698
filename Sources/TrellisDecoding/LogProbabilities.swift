import Foundation

/// Numerically stable log-softmax and top-k over logit rows, on unsafe buffers (no allocation).
public enum LogProbabilities {
    /// log Σ exp(x) over the row, stable for large logits; -inf for an all -inf row.
    public static func logSumExp(_ row: UnsafeBufferPointer<Float>) -> Float {
        var m = -Float.infinity
        for v in row where v > m { m = v }
        guard m.isFinite else { return m }
        var s: Float = 0
        for v in row { s += expf(v - m) }
        return m + logf(s)
    }

    /// Turns logits into log-probabilities in place.
    public static func logSoftmax(_ row: UnsafeMutableBufferPointer<Float>) {
        let z = logSumExp(UnsafeBufferPointer(row))
        guard z.isFinite else { return }
        for i in row.indices { row[i] -= z }
    }

    /// Indices of the `k` largest finite values, best first (partial selection, O(n log k)).
    public static func topK(_ row: UnsafeBufferPointer<Float>, _ k: Int) -> [(index: Int, value: Float)] {
        guard k > 0 else { return [] }
        var best: [(index: Int, value: Float)] = []
        best.reserveCapacity(k + 1)
        for (i, v) in row.enumerated() where v > -Float.infinity {
            if best.count == k, v <= best[k - 1].value { continue }
            var pos = best.count
            while pos > 0 && best[pos - 1].value < v { pos -= 1 }
            best.insert((i, v), at: pos)
            if best.count > k { best.removeLast() }
        }
        return best
    }
}
