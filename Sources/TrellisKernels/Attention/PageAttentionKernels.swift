import CTrellisKernels

/// SIMD kernels for decode attention of up to `maxHeads` query heads of one KV group over paged
/// keys (transposed [headDim × pageSize] per page) and values ([pageSize × headDim] per page),
/// for AVX2 and AVX-512 (masked tails, so any page and head size). Each returns false when the
/// level has no kernel here, and the caller runs its portable version. O(heads · length · headDim).
public enum PageAttentionKernels {
    /// Heads one call handles at most.
    public static let maxHeads = 4

    /// scores[h·scoreStride + p] = scale · q_h·k_p for p < length, q_h = queries[h·headDim...].
    @inline(__always)
    public static func scores(queries: UnsafePointer<Float>, heads: Int, headDim: Int,
                              pages: UnsafePointer<UnsafeMutablePointer<Float>>, keyOffset: Int, pageSize: Int,
                              length: Int, scale: Float, into scores: UnsafeMutablePointer<Float>, scoreStride: Int,
                              level: KernelLevel = .best) -> Bool {
        pages.withMemoryRebound(to: UnsafePointer<Float>?.self, capacity: 1) { table in
            trellis_page_attention_scores(level.rawValue, queries, Int64(heads), Int64(headDim), table,
                                          Int64(keyOffset), Int64(pageSize), Int64(length), scale,
                                          scores, Int64(scoreStride)) != 0
        }
    }

    /// output[h·headDim + d] = Σ_{p < length} weights[h·weightStride + p] · v_p[d].
    @inline(__always)
    public static func values(weights: UnsafePointer<Float>, weightStride: Int, heads: Int, headDim: Int,
                              pages: UnsafePointer<UnsafeMutablePointer<Float>>, valueOffset: Int, pageSize: Int,
                              length: Int, into output: UnsafeMutablePointer<Float>,
                              level: KernelLevel = .best) -> Bool {
        pages.withMemoryRebound(to: UnsafePointer<Float>?.self, capacity: 1) { table in
            trellis_page_attention_values(level.rawValue, weights, Int64(weightStride), Int64(heads), Int64(headDim),
                                          table, Int64(valueOffset), Int64(pageSize), Int64(length), output) != 0
        }
    }
}
