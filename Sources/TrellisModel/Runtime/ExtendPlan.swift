/// Where each request's rows and positions lie in one `extend` call. Arrays are reused.
final class ExtendPlan {
    /// Per request: first row in the activation matrix, new-token count, first new position,
    /// first entry in `pageTable`.
    var rowStart: [Int] = []
    var count: [Int] = []
    var startPosition: [Int] = []
    var pageTableStart: [Int] = []
    /// Base pointers of every request's pages, concatenated in request order.
    var pageTable: [UnsafeMutablePointer<Float>] = []
    /// Per row: its request and absolute position.
    var rowRequest: [Int] = []
    var rowPosition: [Int] = []
    /// Work items of page-by-page attention: a request's KV head over a run of its new rows.
    var groupItems: [AttentionItem] = []
    /// Requests attended with sgemm over query tiles (long appends such as prefill).
    var tiledRequests: [Int] = []
    /// Sequences seen while validating a request list (kept to reuse its storage).
    var seenSequences = Set<Int>()
    var rows = 0
    /// Longest sequence after this call among page-by-page / tiled requests.
    var longestGroupItem = 0
    var longestTiled = 0

    func reset() {
        rowStart.removeAll(keepingCapacity: true)
        count.removeAll(keepingCapacity: true)
        startPosition.removeAll(keepingCapacity: true)
        pageTableStart.removeAll(keepingCapacity: true)
        pageTable.removeAll(keepingCapacity: true)
        rowRequest.removeAll(keepingCapacity: true)
        rowPosition.removeAll(keepingCapacity: true)
        groupItems.removeAll(keepingCapacity: true)
        tiledRequests.removeAll(keepingCapacity: true)
        rows = 0
        longestGroupItem = 0
        longestTiled = 0
    }
}

/// One item of page-by-page attention: rows [firstRow, firstRow + rows) of `request` (counted
/// within the request) against the KV head `kvHead`, all its query heads at once.
struct AttentionItem {
    var request: Int
    var kvHead: Int
    var firstRow: Int
    var rows: Int
}
