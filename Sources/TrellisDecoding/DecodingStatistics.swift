import Foundation

/// Where decoding time goes: model forward passes versus constraint and scoring work, so
/// benchmarks can state the mask cost per step apart from the model's.
public final class DecodingStatistics: @unchecked Sendable {
    public var modelSeconds: Double = 0
    public var constraintSeconds: Double = 0
    public var steps: Int = 0
    public var rows: Int = 0
    public init() {}

    @inline(__always)
    static func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }
}
