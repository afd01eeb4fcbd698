import TrellisKernels

/// A float buffer that only grows: the forward pass asks for at least n floats each call and
/// gets the same memory back unless n exceeds what it had, so steady decoding allocates nothing.
final class FloatScratch {
    private(set) var pointer: UnsafeMutablePointer<Float>
    private(set) var capacity: Int

    init() {
        capacity = 16
        pointer = .allocate(capacity: capacity)
        pointer.initialize(repeating: 0, count: capacity)
    }

    deinit { pointer.deallocate() }

    @discardableResult
    func reserve(_ n: Int) -> UnsafeMutablePointer<Float> {
        if n > capacity {
            pointer.deallocate()
            capacity = max(n, capacity + capacity / 2)
            pointer = .allocate(capacity: capacity)
            pointer.initialize(repeating: 0, count: capacity)
        }
        return pointer
    }
}

/// Activation buffers of one batched forward pass, for N new token rows in total.
/// Shapes are row-major; each holds at least the floats noted.
final class ForwardScratch {
    let residual = FloatScratch()      // x      [N × hidden]
    let normed = FloatScratch()        // h      [N × hidden]  (also the projection outputs)
    let query = FloatScratch()         // q      [N × heads·headDim]
    let key = FloatScratch()           // k      [N × kvHeads·headDim]
    let value = FloatScratch()         // v      [N × kvHeads·headDim]
    let attention = FloatScratch()     // o      [N × heads·headDim]
    let gate = FloatScratch()          // g      [N × ffn]
    let up = FloatScratch()            // u      [N × ffn]
    let lastHidden = FloatScratch()    //        [requests × hidden]
    let scores = FloatScratch()        // decode attention: [workers × group size × longest sequence]
    let tileScores = FloatScratch()    // prefill attention: [tile × longest sequence]
    let gatheredKeys = FloatScratch()  //        [longest sequence × headDim]
    let gatheredValues = FloatScratch()
    /// Int16 copy of the input of the product being run (see `LinearWeight.usesInt16`).
    let packed = Int16Activations()

    func reserve(rows n: Int, requests: Int, config c: ModelConfig) {
        residual.reserve(n * c.hidden)
        normed.reserve(n * c.hidden)
        query.reserve(n * c.queryWidth)
        key.reserve(n * c.kvWidth)
        value.reserve(n * c.kvWidth)
        attention.reserve(n * c.queryWidth)
        gate.reserve(n * c.ffn)
        up.reserve(n * c.ffn)
        lastHidden.reserve(requests * c.hidden)
    }
}
