import TrellisGGUF

/// How rotary position embedding pairs the dimensions of a head.
public enum RopeStyle: Sendable, Equatable {
    /// Dimensions (2i, 2i+1) rotate together: llama.cpp's "normal" mode. GGUF converters permute
    /// Llama's q/k weights so that this layout reproduces the Hugging Face model exactly.
    case adjacentPairs
    /// Dimensions (i, i + n/2) rotate together: llama.cpp's "NeoX" mode, used for Qwen2, whose
    /// q/k weights are stored unpermuted.
    case halfSplit
}

/// The model families the runtime can run, chosen by the GGUF key `general.architecture`.
///
/// A small registry in the style of llama.cpp's arch table: each entry names the metadata
/// prefix and the few structural differences (rotary layout, q/k/v biases, default RoPE base)
/// that distinguish it from the Llama block. Lookup is O(1).
public enum ModelArchitecture: String, Sendable, CaseIterable {
    case llama
    case qwen2

    /// The architecture named by `general.architecture`, or `GGUFError.unsupportedArchitecture`.
    public static func named(_ name: String) throws -> ModelArchitecture {
        guard let arch = ModelArchitecture(rawValue: name) else {
            throw GGUFError.unsupportedArchitecture(name)
        }
        return arch
    }

    /// Prefix of this architecture's metadata keys (`llama.block_count`, ...).
    public var keyPrefix: String { rawValue }

    public var ropeStyle: RopeStyle {
        switch self {
        case .llama: return .adjacentPairs
        case .qwen2: return .halfSplit
        }
    }

    /// Whether the q, k and v projections carry bias vectors (`blk.N.attn_q.bias`, ...).
    public var hasQKVBias: Bool { self == .qwen2 }

    /// RoPE base when `*.rope.freq_base` is absent (llama.cpp's defaults).
    public var defaultRopeBase: Double {
        switch self {
        case .llama: return 10_000
        case .qwen2: return 1_000_000
        }
    }
}
