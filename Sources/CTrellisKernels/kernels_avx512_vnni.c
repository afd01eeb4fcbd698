// Int8-activation products on AVX-512 VNNI (vpdpbusd: 64 u8 x s8 multiply-adds into 16 int32
// lanes per instruction), compiled through function-level target attributes and only called
// after a run-time CPU check. Also the AVX-512 activation quantizer (plain AVX-512 F/BW).
//
// A weight group is four consecutive 32-element blocks of one row, laid out like a packed
// activation group (trellis_kernels.h): the low halves of the four blocks in one register, the
// high halves in another, so one pair of vpdpbusd gives each block's integer dot in its own
// four lanes, and the block scales multiply lane-wise once per group (not per element).
// vpdpbusd multiplies unsigned by signed bytes: activations go in as unsigned x + 128 and the
// accumulator starts at -128 * sum(w) (computed once per weight group, reused for every input).
//   Q8_0: w = the int8 values.
//   Q4_0 / Q4_1: w = nibble - 8 (centred, so the int8 rounding error of x scales with the
//     weights' spread, not their offset); the rest of the block, (m + 8 d) * sum(x) for Q4_1
//     (nothing for Q4_0), uses the float block sums.
// Tiles of two weight rows x up to eight inputs (16 float accumulators), as in the float path.

#if defined(__x86_64__) || defined(_M_X64)
#include "internal.h"
#include <immintrin.h>

#define VNNI __attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni,avx2,fma,f16c")))
#define INLINE static inline __attribute__((always_inline)) VNNI

enum { GROUP_BLOCKS = 4, GROUP_BYTES = 256, INPUT_TILE = 8, ROW_CHUNK = 32 };

INLINE size_t block_bytes(const int format) {
    return format == TRELLIS_FORMAT_Q4_1 ? TRELLIS_Q4_1_BYTES
         : format == TRELLIS_FORMAT_Q4_0 ? TRELLIS_Q4_0_BYTES : TRELLIS_Q8_0_BYTES;
}

/// One weight group in registers.
typedef struct {
    __m512i lo, hi;   // elements 0..15 / 16..31 of the four blocks, 16 bytes per block
    __m512i start;    // Q8_0: -128 * sum(w) per lane; zero otherwise
    __m512 d, m;      // block scale / min in lanes 4k..4k+3
} weight_group;

/// 16 bytes from each of the first `count` (1..4) blocks at p, p + stride, ...; zeros after.
/// Only the blocks that exist are read (count is a constant 4 on the hot path).
INLINE __m512i four_blocks(const uint8_t *p, size_t stride, const int count) {
    __m512i v = _mm512_castsi128_si512(_mm_loadu_si128((const __m128i *)p));
    if (count < 4) v = _mm512_maskz_mov_epi32(0x000f, v);
    if (count > 1) v = _mm512_inserti32x4(v, _mm_loadu_si128((const __m128i *)(p + stride)), 1);
    if (count > 2) v = _mm512_inserti32x4(v, _mm_loadu_si128((const __m128i *)(p + 2 * stride)), 2);
    if (count > 3) v = _mm512_inserti32x4(v, _mm_loadu_si128((const __m128i *)(p + 3 * stride)), 3);
    return v;
}

/// Halves (at p, p + stride, ...) of the first `count` blocks as floats, each repeated in its
/// block's four lanes; zeros for missing blocks.
INLINE __m512 four_halves(const uint8_t *p, size_t stride, const int count) {
    __m128i h = _mm_setr_epi16((short)trellis_load_u16(p),
                               count > 1 ? (short)trellis_load_u16(p + stride) : 0,
                               count > 2 ? (short)trellis_load_u16(p + 2 * stride) : 0,
                               count > 3 ? (short)trellis_load_u16(p + 3 * stride) : 0, 0, 0, 0, 0);
    __m512 f = _mm512_castps128_ps512(_mm_cvtph_ps(h));
    return _mm512_permutexvar_ps(_mm512_setr_epi32(0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3), f);
}

/// Loads the group of `count` (1..4) blocks starting at p; missing blocks read as zero
/// weights and scales.
INLINE void load_group(const int format, const uint8_t *p, const int count, weight_group *g) {
    const size_t bb = block_bytes(format);
    g->d = four_halves(p, bb, count);
    g->m = _mm512_setzero_ps();
    if (format == TRELLIS_FORMAT_Q8_0) {
        g->lo = four_blocks(p + 2, bb, count);
        g->hi = four_blocks(p + 18, bb, count);
    } else {
        const __m512i v = four_blocks(p + (format == TRELLIS_FORMAT_Q4_1 ? 4 : 2), bb, count);
        const __m512i low4 = _mm512_set1_epi8(15), eight = _mm512_set1_epi8(8);
        g->lo = _mm512_sub_epi8(_mm512_and_si512(v, low4), eight);
        g->hi = _mm512_sub_epi8(_mm512_and_si512(_mm512_srli_epi16(v, 4), low4), eight);
        if (format == TRELLIS_FORMAT_Q4_1)
            g->m = _mm512_fmadd_ps(g->d, _mm512_set1_ps(8.0f), four_halves(p + 2, bb, count));
    }
    // Padding blocks (count < 4) hold w = -8 for Q4 but x = 0, and the start cancels them.
    const __m512i bias = _mm512_set1_epi8((char)0x80);
    __m512i s = _mm512_dpbusd_epi32(_mm512_setzero_si512(), bias, g->lo);
    s = _mm512_dpbusd_epi32(s, bias, g->hi);
    g->start = _mm512_sub_epi32(_mm512_setzero_si512(), s);
}

/// acc += this group's share of (weight row) . (packed input) for one input.
INLINE __m512 group_dot(const int format, const weight_group *g, __m512i xlo, __m512i xhi,
                        __m512 dx, __m512 xsum, __m512 acc) {
    __m512i s = _mm512_dpbusd_epi32(g->start, xlo, g->lo);
    s = _mm512_dpbusd_epi32(s, xhi, g->hi);
    acc = _mm512_fmadd_ps(_mm512_cvtepi32_ps(s), _mm512_mul_ps(g->d, dx), acc);
    return format == TRELLIS_FORMAT_Q4_1 ? _mm512_fmadd_ps(g->m, xsum, acc) : acc;
}

INLINE void store(float *out, float value, int accumulate) {
    *out = accumulate ? *out + value : value;
}

/// Weight rows [r, r + rows) (rows = 1 or 2) against `nt` packed inputs starting at xq.
INLINE void tile(const int format, const int rows, const int nt, const uint8_t *w, size_t rb,
                 int64_t blocks, const uint8_t *xq, size_t xrb, float *y, int64_t ldy, int64_t r,
                 int accumulate) {
    const size_t bb = block_bytes(format);
    const int64_t groups = (blocks + GROUP_BLOCKS - 1) / GROUP_BLOCKS;
    const uint8_t *w0 = w + (size_t)r * rb, *w1 = w0 + rb;
    __m512 a0[INPUT_TILE], a1[INPUT_TILE];
    for (int i = 0; i < nt; i++) a0[i] = a1[i] = _mm512_setzero_ps();
    for (int64_t grp = 0; grp < groups; grp++) {
        const size_t offset = (size_t)grp * GROUP_BLOCKS * bb;
        _mm_prefetch((const char *)w0 + offset + TRELLIS_PREFETCH_BYTES, _MM_HINT_T0);
        _mm_prefetch((const char *)w0 + offset + TRELLIS_PREFETCH_BYTES + 64, _MM_HINT_T0);
        weight_group g0, g1;
        const int64_t count = blocks - grp * GROUP_BLOCKS;
        switch (count >= GROUP_BLOCKS ? GROUP_BLOCKS : (int)count) {
#define LOAD(C) load_group(format, w0 + offset, C, &g0); if (rows == 2) load_group(format, w1 + offset, C, &g1); break
        case 1: LOAD(1);
        case 2: LOAD(2);
        case 3: LOAD(3);
        default: LOAD(4);
#undef LOAD
        }
        for (int i = 0; i < nt; i++) {
            const uint8_t *xg = xq + (size_t)i * xrb + (size_t)grp * GROUP_BYTES;
            // x + 128 as unsigned bytes (see the top of the file).
            const __m512i bias = _mm512_set1_epi8((char)0x80);
            const __m512i xlo = _mm512_xor_si512(_mm512_loadu_si512(xg), bias);
            const __m512i xhi = _mm512_xor_si512(_mm512_loadu_si512(xg + 64), bias);
            const __m512 dx = _mm512_loadu_ps((const float *)(xg + 128));
            const __m512 xsum = _mm512_loadu_ps((const float *)(xg + 192));
            a0[i] = group_dot(format, &g0, xlo, xhi, dx, xsum, a0[i]);
            if (rows == 2) a1[i] = group_dot(format, &g1, xlo, xhi, dx, xsum, a1[i]);
        }
    }
    for (int i = 0; i < nt; i++) {
        store(y + i * ldy + r, _mm512_reduce_add_ps(a0[i]), accumulate);
        if (rows == 2) store(y + i * ldy + r + 1, _mm512_reduce_add_ps(a1[i]), accumulate);
    }
}

INLINE void tile_rows(const int format, const int nt, const uint8_t *w, size_t rb, int64_t blocks,
                      const uint8_t *xq, size_t xrb, float *y, int64_t ldy, int64_t r0, int64_t r1,
                      int accumulate) {
    int64_t r = r0;
    for (; r + 2 <= r1; r += 2) tile(format, 2, nt, w, rb, blocks, xq, xrb, y, ldy, r, accumulate);
    if (r < r1) tile(format, 1, nt, w, rb, blocks, xq, xrb, y, ldy, r, accumulate);
}

INLINE void matmul_format(const int format, const uint8_t *w, size_t rb, int64_t cols,
                          const uint8_t *xq, int64_t n, float *y, int64_t ldy,
                          int64_t r0, int64_t r1, int accumulate) {
    const int64_t blocks = cols / TRELLIS_BLOCK;
    const size_t xrb = trellis_int8_row_bytes(cols);
    // Row chunks outermost so a chunk of weights stays in cache while every input tile passes.
    for (int64_t c0 = r0; c0 < r1; c0 += ROW_CHUNK) {
        int64_t c1 = c0 + ROW_CHUNK < r1 ? c0 + ROW_CHUNK : r1;
        for (int64_t i0 = 0; i0 < n; i0 += INPUT_TILE) {
            const uint8_t *xt = xq + (size_t)i0 * xrb;
            float *yt = y + i0 * ldy;
#define TILE(NT) tile_rows(format, NT, w, rb, blocks, xt, xrb, yt, ldy, c0, c1, accumulate)
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

VNNI void trellis_matmul_rows_int8_vnni(int format, const void *w, size_t w_row_bytes, int64_t cols,
                                        const void *xq, int64_t n, float *y, int64_t ldy,
                                        int64_t r0, int64_t r1, int accumulate) {
    const uint8_t *wb = (const uint8_t *)w, *xb = (const uint8_t *)xq;
    switch (format) {
    case TRELLIS_FORMAT_Q4_0: matmul_format(TRELLIS_FORMAT_Q4_0, wb, w_row_bytes, cols, xb, n, y, ldy, r0, r1, accumulate); break;
    case TRELLIS_FORMAT_Q4_1: matmul_format(TRELLIS_FORMAT_Q4_1, wb, w_row_bytes, cols, xb, n, y, ldy, r0, r1, accumulate); break;
    case TRELLIS_FORMAT_Q8_0: matmul_format(TRELLIS_FORMAT_Q8_0, wb, w_row_bytes, cols, xb, n, y, ldy, r0, r1, accumulate); break;
    default: break;
    }
}

// ---- quantizer ------------------------------------------------------------------------

#define AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,avx2,fma,f16c")))

/// Same int8 values and scales as the plain C quantizer (round to nearest even in both; the
/// block sums may differ in float rounding order).
AVX512 void trellis_quantize_activations_avx512(const float *x, int64_t ldx, int64_t n, int64_t cols,
                                                void *xq) {
    const size_t row_bytes = trellis_int8_row_bytes(cols);
    const int64_t blocks = cols / TRELLIS_BLOCK;
    const __m512i top = _mm512_set1_epi32(127), bottom = _mm512_set1_epi32(-127);
    for (int64_t i = 0; i < n; i++) {
        uint8_t *out = (uint8_t *)xq + (size_t)i * row_bytes;
        const size_t full = (size_t)(blocks / GROUP_BLOCKS) * GROUP_BYTES;
        memset(out + full, 0, row_bytes - full);
        const float *xi = x + i * ldx;
        for (int64_t b = 0; b < blocks; b++) {
            uint8_t *group = out + (size_t)(b / GROUP_BLOCKS) * GROUP_BYTES;
            const int k = (int)(b % GROUP_BLOCKS);
            const __m512 x0 = _mm512_loadu_ps(xi + b * 32), x1 = _mm512_loadu_ps(xi + b * 32 + 16);
            const float amax = _mm512_reduce_max_ps(_mm512_max_ps(_mm512_abs_ps(x0), _mm512_abs_ps(x1)));
            const float sum = _mm512_reduce_add_ps(_mm512_add_ps(x0, x1));
            const float d = amax / 127.0f, inverse = d != 0 ? 1.0f / d : 0.0f;
            const __m512 s = _mm512_set1_ps(inverse);
            __m512i q0 = _mm512_cvtps_epi32(_mm512_mul_ps(x0, s)), q1 = _mm512_cvtps_epi32(_mm512_mul_ps(x1, s));
            q0 = _mm512_max_epi32(_mm512_min_epi32(q0, top), bottom);
            q1 = _mm512_max_epi32(_mm512_min_epi32(q1, top), bottom);
            _mm_storeu_si128((__m128i *)(group + 16 * k), _mm512_cvtepi32_epi8(q0));
            _mm_storeu_si128((__m128i *)(group + 64 + 16 * k), _mm512_cvtepi32_epi8(q1));
            _mm_storeu_ps((float *)(group + 128 + 16 * k), _mm_set1_ps(d));
            _mm_storeu_ps((float *)(group + 192 + 16 * k), _mm_setr_ps(sum, 0, 0, 0));
        }
    }
}
#endif
