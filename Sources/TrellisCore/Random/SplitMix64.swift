/// SplitMix64 (Steele, Lea & Flood, "Fast splittable pseudorandom number generators", OOPSLA 2014):
/// the one small seeded generator for reproducible synthetic data, benchmarks, initialization and
/// property tests across the project (a failing test prints its seed; the same seed replays it on
/// every platform). O(1) per number, 8 bytes of state; not for cryptography. Sampling from the model
/// uses `SeededGenerator` (xoshiro256**), which is seeded through this one.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    /// The seed this generator started from, for printing with a failure.
    public let seed: UInt64
    private var state: UInt64

    public init(seed: UInt64) {
        self.seed = seed
        state = seed
    }

    @inline(__always)
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1), from the top 24 bits.
    public mutating func nextUnit() -> Float { Float(next() >> 40) * 0x1p-24 }

    /// Uniform in [-1, 1), from the top 24 bits.
    public mutating func nextSigned() -> Float { Float(next() >> 40) / Float(1 << 23) - 1 }

    /// Uniform in [0, 1), from the top 53 bits.
    public mutating func nextUnitDouble() -> Double { Double(next() >> 11) * 0x1.0p-53 }
}
