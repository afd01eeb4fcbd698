// Int16-activation products on row-interleaved weights, AVX-512 VNNI (vpdpwssd: 32 int16 x int16
// multiply-adds into 16 int32 lanes per instruction), compiled through function-level target
// attributes and only called after a run-time CPU check. Also the AVX-512 int16 quantizer.
//
// Lane r of every register belongs to weight row r of a 16-row group (layout in
// trellis_kernels.h), so one block of 32 inputs takes 16 vpdpwssd, each with one pair of
// activations broadcast to all lanes, and the block's scales then apply lane-wise with one
// convert and one or two FMAs for all 16 rows; no horizontal sums. The nibbles of a pair
// register are widened once per block and reused for up to eight inputs. Integer sums are
// exact, so results do not depend on how many inputs share a call.

#if defined(__x86_64__) || defined(_M_X64)
#include "internal.h"
#include <immintrin.h>

#define VNNI __attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni,avx2,fma,f16c")))
#define INLINE static inline __attribute__((always_inline)) VNNI

enum { GROUP_ROWS = 16, INPUT_TILE = 8 };

/// Pair registers 2c and 2c + 1 of a tile (c < 8 for Q4; Q8_0 reads register p directly).
INLINE void q4_pairs(const uint8_t *t, int c, __m512i *even, __m512i *odd) {
    const __m512i v = _mm512_cvtepu8_epi16(_mm256_loadu_si256((const __m256i *)(t + 32 * c)));
    *even = _mm512_and_si512(v, _mm512_set1_epi16(15));
    *odd = _mm512_srli_epi16(v, 4);
}

INLINE __m512i q8_pair(const uint8_t *t, int p) {
    return _mm512_cvtepi8_epi16(_mm256_loadu_si256((const __m256i *)(t + 32 * p)));
}

INLINE __m512i pair_of(const uint8_t *xrow, int64_t b, int p) {
    int32_t v;
    memcpy(&v, xrow + b * 64 + 4 * p, 4);
    return _mm512_set1_epi32(v);
}

/// One 16-row group against `nt` inputs (rows of packed activations `xrb` bytes apart).
INLINE void group_tile(const int format, const int nt, const uint8_t *tiles, int64_t blocks,
                       const uint8_t *xq, size_t xrb, float *y, int64_t ldy, int64_t rows_here,
                       int accumulate) {
    const size_t tile = trellis_interleaved_tile_bytes(format);
    const size_t values = format == TRELLIS_FORMAT_Q8_0 ? 512 : 256;
    // With few inputs the integer sums are split over two chains so vpdpwssd's latency hides.
    const int chains = nt <= 4 ? 2 : 1;
    __m512 acc[INPUT_TILE];
    for (int i = 0; i < nt; i++) acc[i] = _mm512_setzero_ps();
    for (int64_t b = 0; b < blocks; b++) {
        const uint8_t *t = tiles + (size_t)b * tile;
        for (size_t line = 0; line < tile; line += 64)
            _mm_prefetch((const char *)t + TRELLIS_PREFETCH_BYTES + line, _MM_HINT_T0);
        __m512i s0[INPUT_TILE], s1[INPUT_TILE];
        for (int i = 0; i < nt; i++) s0[i] = s1[i] = _mm512_setzero_si512();
        for (int c = 0; c < 8; c++) {
            __m512i even, odd;
            if (format == TRELLIS_FORMAT_Q8_0) {
                even = q8_pair(t, 2 * c);
                odd = q8_pair(t, 2 * c + 1);
            } else {
                q4_pairs(t, c, &even, &odd);
            }
            for (int i = 0; i < nt; i++) {
                const uint8_t *xrow = xq + (size_t)i * xrb;
                s0[i] = _mm512_dpwssd_epi32(s0[i], even, pair_of(xrow, b, 2 * c));
                if (chains == 2) s1[i] = _mm512_dpwssd_epi32(s1[i], odd, pair_of(xrow, b, 2 * c + 1));
                else s0[i] = _mm512_dpwssd_epi32(s0[i], odd, pair_of(xrow, b, 2 * c + 1));
            }
        }
        const __m512 d = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(t + values)));
        __m512 m = _mm512_setzero_ps();
        if (format == TRELLIS_FORMAT_Q4_1) m = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(t + values + 32)));
        if (format == TRELLIS_FORMAT_Q4_0) m = _mm512_mul_ps(d, _mm512_set1_ps(-8.0f));
        for (int i = 0; i < nt; i++) {
            const uint8_t *xrow = xq + (size_t)i * xrb;
            const float *scales = (const float *)(xrow + blocks * 64);
            const __m512i s = chains == 2 ? _mm512_add_epi32(s0[i], s1[i]) : s0[i];
            acc[i] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(s), _mm512_mul_ps(d, _mm512_set1_ps(scales[b])), acc[i]);
            if (format != TRELLIS_FORMAT_Q8_0) acc[i] = _mm512_fmadd_ps(m, _mm512_set1_ps(scales[blocks + b]), acc[i]);
        }
    }
    const __mmask16 keep = rows_here >= GROUP_ROWS ? 0xffff : (__mmask16)((1u << rows_here) - 1);
    for (int i = 0; i < nt; i++) {
        float *out = y + i * ldy;
        __m512 v = acc[i];
        if (accumulate) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(keep, out));
        _mm512_mask_storeu_ps(out, keep, v);
    }
}

INLINE void matmul_format(const int format, const uint8_t *wi, int64_t rows, int64_t cols,
                          const uint8_t *xq, int64_t n, float *y, int64_t ldy, int64_t g0, int64_t g1,
                          int accumulate) {
    const int64_t blocks = cols / TRELLIS_BLOCK;
    const size_t xrb = trellis_int16_row_bytes(cols);
    const size_t group_bytes = (size_t)blocks * trellis_interleaved_tile_bytes(format);
    // The loop prefetches TRELLIS_PREFETCH_BYTES ahead of where it reads, so the start of a
    // range would otherwise arrive one cache miss at a time: ask for all of it at once. A
    // product is split into several ranges across threads, so this start is paid often.
    const size_t range_bytes = (size_t)(g1 - g0) * group_bytes;
    const size_t warm = range_bytes < TRELLIS_PREFETCH_BYTES ? range_bytes : TRELLIS_PREFETCH_BYTES;
    for (size_t line = 0; line < warm; line += 64)
        _mm_prefetch((const char *)wi + (size_t)g0 * group_bytes + line, _MM_HINT_T0);
    for (int64_t g = g0; g < g1; g++) {
        const uint8_t *tiles = wi + (size_t)g * group_bytes;
        const int64_t rows_here = rows - g * GROUP_ROWS;
        for (int64_t i0 = 0; i0 < n; i0 += INPUT_TILE) {
            const uint8_t *xt = xq + (size_t)i0 * xrb;
            float *yt = y + i0 * ldy + g * GROUP_ROWS;
#define TILE(NT) group_tile(format, NT, tiles, blocks, xt, xrb, yt, ldy, rows_here, accumulate)
            switch (n - i0 < INPUT_TILE ? n - i0 : INPUT_TILE) {
            case 1: TILE(1); break;
            case 2: TILE(2); break;
            case 3: TILE(3); break;
            case 4: TILE(4); break;
            case 5: TILE(5); break;
            case 6: TILE(6); break;
            case 7: TILE(7); break;
            default: TILE(8); break;
            }
#undef TILE
        }
    }
}

VNNI void trellis_matmul_interleaved_vnni(int format, const void *wi, int64_t rows, int64_t cols,
                                          const void *xq, int64_t n, float *y, int64_t ldy,
                                          int64_t g0, int64_t g1, int accumulate) {
    const uint8_t *w = (const uint8_t *)wi, *x = (const uint8_t *)xq;
    switch (format) {
    case TRELLIS_FORMAT_Q4_0: matmul_format(TRELLIS_FORMAT_Q4_0, w, rows, cols, x, n, y, ldy, g0, g1, accumulate); break;
    case TRELLIS_FORMAT_Q4_1: matmul_format(TRELLIS_FORMAT_Q4_1, w, rows, cols, x, n, y, ldy, g0, g1, accumulate); break;
    case TRELLIS_FORMAT_Q8_0: matmul_format(TRELLIS_FORMAT_Q8_0, w, rows, cols, x, n, y, ldy, g0, g1, accumulate); break;
    default: break;
    }
}

// ---- quantizer ------------------------------------------------------------------------

#define AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,avx2,fma,f16c")))

/// Same int16 values and scales as the plain C quantizer (round to nearest even in both; the
/// block sums may differ in float rounding order).
AVX512 void trellis_quantize_activations_int16_avx512(const float *x, int64_t ldx, int64_t n,
                                                      int64_t cols, void *xq) {
    const size_t row_bytes = trellis_int16_row_bytes(cols);
    const int64_t blocks = cols / TRELLIS_BLOCK;
    const __m512i top = _mm512_set1_epi32(32767), bottom = _mm512_set1_epi32(-32767);
    for (int64_t i = 0; i < n; i++) {
        uint8_t *out = (uint8_t *)xq + (size_t)i * row_bytes;
        float *scales = (float *)(out + blocks * 64), *sums = scales + blocks;
        const float *xi = x + i * ldx;
        for (int64_t b = 0; b < blocks; b++) {
            const __m512 x0 = _mm512_loadu_ps(xi + b * 32), x1 = _mm512_loadu_ps(xi + b * 32 + 16);
            const float amax = _mm512_reduce_max_ps(_mm512_max_ps(_mm512_abs_ps(x0), _mm512_abs_ps(x1)));
            const float inverse = amax > 0 ? 32767.0f / amax : 0.0f;
            const __m512 s = _mm512_set1_ps(inverse);
            __m512i q0 = _mm512_cvtps_epi32(_mm512_mul_ps(x0, s)), q1 = _mm512_cvtps_epi32(_mm512_mul_ps(x1, s));
            q0 = _mm512_max_epi32(_mm512_min_epi32(q0, top), bottom);
            q1 = _mm512_max_epi32(_mm512_min_epi32(q1, top), bottom);
            _mm256_storeu_si256((__m256i *)(out + b * 64), _mm512_cvtepi32_epi16(q0));
            _mm256_storeu_si256((__m256i *)(out + b * 64 + 32), _mm512_cvtepi32_epi16(q1));
            scales[b] = amax / 32767.0f;
            sums[b] = _mm512_reduce_add_ps(_mm512_add_ps(x0, x1));
        }
    }
}
#endif
