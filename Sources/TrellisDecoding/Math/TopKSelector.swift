/// Selects the k largest finite values of a buffer without sorting it: one pass keeps a
/// min-heap of the best k seen so far, and most entries fail the single comparison against the
/// heap's root. O(n + m log k) for m heap replacements (m ≪ n on logit rows), then O(k log k)
/// to order the result. Ties go to the lower index, so results are deterministic.
/// The heap's storage is reused across calls (no allocation per step once warm).
public struct TopKSelector: Sendable {
    private var heapValues: [Float] = []
    private var heapIndices: [Int] = []

    public init() {}

    /// Writes into `result` (replacing its contents) the `k` largest finite entries of
    /// `values` as (index, value), best first; fewer when fewer are finite.
    public mutating func select(_ k: Int, from values: UnsafeBufferPointer<Float>,
                                into result: inout [(index: Int, value: Float)]) {
        result.removeAll(keepingCapacity: true)
        guard k > 0, let base = values.baseAddress else { return }
        heapValues.removeAll(keepingCapacity: true)
        heapIndices.removeAll(keepingCapacity: true)
        heapValues.reserveCapacity(k)
        heapIndices.reserveCapacity(k)
        var i = 0
        let n = values.count
        // Fill: the first k finite entries.
        while i < n && heapValues.count < k {
            let v = base[i]
            if v.isFinite { push(v, i) }
            i += 1
        }
        if heapValues.count == k {
            var threshold = heapValues[0]
            while i < n {
                let v = base[i]
                // A later index with an equal value loses the tie, so strictly greater only.
                if v > threshold && v.isFinite {
                    replaceRoot(v, i)
                    threshold = heapValues[0]
                }
                i += 1
            }
        }
        for j in 0..<heapValues.count { result.append((heapIndices[j], heapValues[j])) }
        result.sort { $0.value > $1.value || ($0.value == $1.value && $0.index < $1.index) }
    }

    /// Whether entry a is worse than entry b (lower value, or equal value and higher index).
    @inline(__always)
    private func worse(_ a: Int, _ b: Int) -> Bool {
        heapValues[a] < heapValues[b] || (heapValues[a] == heapValues[b] && heapIndices[a] > heapIndices[b])
    }

    private mutating func push(_ value: Float, _ index: Int) {
        heapValues.append(value)
        heapIndices.append(index)
        var child = heapValues.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard worse(child, parent) else { break }
            heapValues.swapAt(child, parent)
            heapIndices.swapAt(child, parent)
            child = parent
        }
    }

    private mutating func replaceRoot(_ value: Float, _ index: Int) {
        heapValues[0] = value
        heapIndices[0] = index
        var parent = 0
        let count = heapValues.count
        while true {
            let left = 2 * parent + 1, right = left + 1
            var worst = parent
            if left < count && worse(left, worst) { worst = left }
            if right < count && worse(right, worst) { worst = right }
            if worst == parent { break }
            heapValues.swapAt(parent, worst)
            heapIndices.swapAt(parent, worst)
            parent = worst
        }
    }
}
