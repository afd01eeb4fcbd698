/// Totals over many beam searches (e.g. every mention of a benchmark run): model time versus
/// mask and scoring time, so benchmarks state the constraint cost per step apart from the model's.
public final class DecodingStatistics: @unchecked Sendable {
    public var modelSeconds: Double = 0
    public var constraintSeconds: Double = 0
    public var steps: Int = 0
    public var modelCalls: Int = 0
    public init() {}

    public func add(_ s: BeamSearchStatistics) {
        modelSeconds += s.modelSeconds
        constraintSeconds += s.decodingSeconds
        steps += s.steps
        modelCalls += s.modelCalls
    }

    public func reset() {
        modelSeconds = 0; constraintSeconds = 0; steps = 0; modelCalls = 0
    }
}
