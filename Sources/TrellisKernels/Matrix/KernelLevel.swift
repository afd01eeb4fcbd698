import CTrellisKernels

/// Which implementation of the kernels runs: the plain scalar reference, a portable
/// 128-bit vector version (SSE2 / NEON), or x86-64 AVX2 / AVX-512 versions chosen after a
/// run-time CPU check. `.best` resolves to the fastest level this CPU runs (the environment
/// variable `TRELLIS_KERNEL_LEVEL=0...3` caps it, for diagnosis). Asking for a level the CPU
/// lacks runs `.best` instead, never illegal instructions.
public enum KernelLevel: Int32, Sendable, CaseIterable, CustomStringConvertible {
    case best = -1
    case scalar = 0
    case vector128 = 1
    case avx2 = 2
    case avx512 = 3

    /// The concrete level `.best` stands for on this machine.
    public static var fastest: KernelLevel { KernelLevel(rawValue: trellis_best_level()) ?? .scalar }

    /// Whether this level runs on this CPU (`.best`, scalar and vector128 always do).
    public var isAvailable: Bool { self == .best || trellis_level_available(rawValue) != 0 }

    /// Levels that run here, excluding `.best`.
    public static var available: [KernelLevel] { allCases.filter { $0 != .best && $0.isAvailable } }

    public var description: String {
        self == .best ? "best (\(KernelLevel.fastest))" : String(cString: trellis_level_name(rawValue))
    }
}
