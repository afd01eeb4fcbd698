// AVX-512 (F/BW/VL with FMA and F16C) level. Compiled for every x86-64 target through
// function-level target attributes and only called after a run-time CPU check.
//
// Matrix products never quantize activations: each weight block is widened to float in
// registers and multiplied with float32 inputs.
//   n = 1 (decode): four weight rows at a time share the input loads; per Q4 block the dot
//     is computed as d * sum(q * x) + m * sum(x), so only the integer nibbles are converted.
//   n > 1: each weight block is dequantized once into two registers and then reused for a
//     tile of up to 8 input rows (two weight rows x 8 inputs = 16 accumulators).

#if defined(__x86_64__) || defined(_M_X64)
#include "internal.h"
#include <immintrin.h>
#include <math.h>

#define AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,avx2,fma,f16c")))
#define INLINE static inline __attribute__((always_inline)) AVX512

// ---- block access ---------------------------------------------------------------------

INLINE __m512 broadcast_half(const uint8_t *p) {
    return _mm512_cvtph_ps(_mm256_set1_epi16((short)trellis_load_u16(p)));
}

INLINE size_t block_bytes(const int format) {
    switch (format) {
    case TRELLIS_FORMAT_Q4_0: return TRELLIS_Q4_0_BYTES;
    case TRELLIS_FORMAT_Q4_1: return TRELLIS_Q4_1_BYTES;
    case TRELLIS_FORMAT_Q8_0: return TRELLIS_Q8_0_BYTES;
    case TRELLIS_FORMAT_F16: return 64;
    default: return 128;
    }
}

/// The 16 low nibbles (elements 0..15) and 16 high nibbles (elements 16..31) as floats.
INLINE void nibbles(const uint8_t *qs, __m512 *lo, __m512 *hi) {
    __m512i q = _mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)qs));
    *lo = _mm512_cvtepi32_ps(_mm512_and_si512(q, _mm512_set1_epi32(15)));
    *hi = _mm512_cvtepi32_ps(_mm512_srli_epi32(q, 4));
}

/// Dequantizes block `b` of a row into elements 0..15 (lo) and 16..31 (hi).
INLINE void unpack(const int format, const uint8_t *row, int64_t b, __m512 *lo, __m512 *hi) {
    const uint8_t *p = row + (size_t)b * block_bytes(format);
    switch (format) {
    case TRELLIS_FORMAT_Q4_1: {
        __m512 d = broadcast_half(p), m = broadcast_half(p + 2), qlo, qhi;
        nibbles(p + 4, &qlo, &qhi);
        *lo = _mm512_fmadd_ps(qlo, d, m);
        *hi = _mm512_fmadd_ps(qhi, d, m);
        break;
    }
    case TRELLIS_FORMAT_Q4_0: {
        __m512 d = broadcast_half(p), qlo, qhi;
        __m512 m = _mm512_mul_ps(d, _mm512_set1_ps(-8.0f));
        nibbles(p + 2, &qlo, &qhi);
        *lo = _mm512_fmadd_ps(qlo, d, m);
        *hi = _mm512_fmadd_ps(qhi, d, m);
        break;
    }
    case TRELLIS_FORMAT_Q8_0: {
        __m512 d = broadcast_half(p);
        __m512 qlo = _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i *)(p + 2))));
        __m512 qhi = _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i *)(p + 18))));
        *lo = _mm512_mul_ps(qlo, d);
        *hi = _mm512_mul_ps(qhi, d);
        break;
    }
    case TRELLIS_FORMAT_F16:
        *lo = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)p));
        *hi = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(p + 32)));
        break;
    default:
        *lo = _mm512_loadu_ps((const float *)p);
        *hi = _mm512_loadu_ps((const float *)p + 16);
    }
}

/// acc += (block b of row) . (xlo, xhi), where xsum = xlo + xhi (used by the Q4 formats).
INLINE __m512 block_dot(const int format, const uint8_t *row, int64_t b, __m512 xlo, __m512 xhi,
                        __m512 xsum, __m512 acc) {
    const uint8_t *p = row + (size_t)b * block_bytes(format);
    switch (format) {
    case TRELLIS_FORMAT_Q4_1: {
        __m512 qlo, qhi;
        nibbles(p + 4, &qlo, &qhi);
        __m512 t = _mm512_fmadd_ps(qhi, xhi, _mm512_mul_ps(qlo, xlo));
        acc = _mm512_fmadd_ps(t, broadcast_half(p), acc);
        return _mm512_fmadd_ps(xsum, broadcast_half(p + 2), acc);
    }
    case TRELLIS_FORMAT_Q4_0: {
        // d * sum((q - 8) * x) = d * (sum(q * x) - 8 * sum(x)); xsum holds 8 * sum(x) here.
        __m512 qlo, qhi;
        nibbles(p + 2, &qlo, &qhi);
        __m512 t = _mm512_fmadd_ps(qhi, xhi, _mm512_mul_ps(qlo, xlo));
        return _mm512_fmadd_ps(_mm512_sub_ps(t, xsum), broadcast_half(p), acc);
    }
    case TRELLIS_FORMAT_Q8_0: {
        __m512 qlo = _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i *)(p + 2))));
        __m512 qhi = _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i *)(p + 18))));
        __m512 t = _mm512_fmadd_ps(qhi, xhi, _mm512_mul_ps(qlo, xlo));
        return _mm512_fmadd_ps(t, broadcast_half(p), acc);
    }
    default: {
        __m512 wlo, whi;
        unpack(format, row, b, &wlo, &whi);
        return _mm512_fmadd_ps(whi, xhi, _mm512_fmadd_ps(wlo, xlo, acc));
    }
    }
}

/// Scalar tail for F32/F16 rows whose length is not a multiple of 32.
INLINE float tail_dot(const int format, const uint8_t *row, int64_t k0, int64_t cols, const float *x) {
    float sum = 0;
    for (int64_t k = k0; k < cols; k++) {
        float w = format == TRELLIS_FORMAT_F16 ? trellis_half_to_float(trellis_load_u16(row + k * 2))
                                               : ((const float *)row)[k];
        sum += w * x[k];
    }
    return sum;
}

INLINE __m512 x_sum_term(const int format, __m512 xlo, __m512 xhi) {
    if (format == TRELLIS_FORMAT_Q4_1) return _mm512_add_ps(xlo, xhi);
    if (format == TRELLIS_FORMAT_Q4_0) return _mm512_mul_ps(_mm512_add_ps(xlo, xhi), _mm512_set1_ps(8.0f));
    return xlo;
}

INLINE void store(float *out, float value, int accumulate) {
    *out = accumulate ? *out + value : value;
}

// ---- n = 1 ----------------------------------------------------------------------------

INLINE void prefetch_ahead(const uint8_t *p) {
    _mm_prefetch((const char *)p + TRELLIS_PREFETCH_BYTES, _MM_HINT_T0);
    _mm_prefetch((const char *)p + TRELLIS_PREFETCH_BYTES + 64, _MM_HINT_T0);
}

INLINE void matvec(const int format, const uint8_t *w, size_t rb, int64_t cols, const float *x,
                   float *y, int64_t r0, int64_t r1, int accumulate) {
    const int64_t blocks = cols / TRELLIS_BLOCK;
    const int64_t tail = blocks * TRELLIS_BLOCK;
    int64_t r = r0;
    for (; r + 4 <= r1; r += 4) {
        const uint8_t *w0 = w + (size_t)r * rb, *w1 = w0 + rb, *w2 = w1 + rb, *w3 = w2 + rb;
        __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
        const size_t sweep = 4 * block_bytes(format);
        for (int64_t b = 0; b < blocks; b++) {
            prefetch_ahead(w0 + (size_t)b * sweep);
            __m512 xlo = _mm512_loadu_ps(x + b * 32), xhi = _mm512_loadu_ps(x + b * 32 + 16);
            __m512 xs = x_sum_term(format, xlo, xhi);
            a0 = block_dot(format, w0, b, xlo, xhi, xs, a0);
            a1 = block_dot(format, w1, b, xlo, xhi, xs, a1);
            a2 = block_dot(format, w2, b, xlo, xhi, xs, a2);
            a3 = block_dot(format, w3, b, xlo, xhi, xs, a3);
        }
        float s0 = _mm512_reduce_add_ps(a0), s1 = _mm512_reduce_add_ps(a1);
        float s2 = _mm512_reduce_add_ps(a2), s3 = _mm512_reduce_add_ps(a3);
        if (tail < cols) {
            s0 += tail_dot(format, w0, tail, cols, x);
            s1 += tail_dot(format, w1, tail, cols, x);
            s2 += tail_dot(format, w2, tail, cols, x);
            s3 += tail_dot(format, w3, tail, cols, x);
        }
        store(y + r, s0, accumulate);
        store(y + r + 1, s1, accumulate);
        store(y + r + 2, s2, accumulate);
        store(y + r + 3, s3, accumulate);
    }
    for (; r < r1; r++) {
        const uint8_t *w0 = w + (size_t)r * rb;
        __m512 a0 = _mm512_setzero_ps();
        for (int64_t b = 0; b < blocks; b++) {
            __m512 xlo = _mm512_loadu_ps(x + b * 32), xhi = _mm512_loadu_ps(x + b * 32 + 16);
            a0 = block_dot(format, w0, b, xlo, xhi, x_sum_term(format, xlo, xhi), a0);
        }
        float s0 = _mm512_reduce_add_ps(a0);
        if (tail < cols) s0 += tail_dot(format, w0, tail, cols, x);
        store(y + r, s0, accumulate);
    }
}

// ---- n > 1 ----------------------------------------------------------------------------

enum { INPUT_TILE = 8, ROW_CHUNK = 32 };

/// Rows [r, r + rows) (rows = 1 or 2) against the `nt` inputs starting at x.
INLINE void tile(const int format, const int rows, const int nt, const uint8_t *w, size_t rb,
                 int64_t cols, const float *x, int64_t ldx, float *y, int64_t ldy, int64_t r,
                 int accumulate) {
    const int64_t blocks = cols / TRELLIS_BLOCK;
    const int64_t tail = blocks * TRELLIS_BLOCK;
    const uint8_t *w0 = w + (size_t)r * rb, *w1 = w0 + rb;
    __m512 a0[INPUT_TILE], a1[INPUT_TILE];
    for (int i = 0; i < nt; i++) a0[i] = a1[i] = _mm512_setzero_ps();
    const size_t sweep = rows * block_bytes(format);
    for (int64_t b = 0; b < blocks; b++) {
        prefetch_ahead(w0 + (size_t)b * sweep);
        __m512 u0lo, u0hi, u1lo = _mm512_setzero_ps(), u1hi = u1lo;
        unpack(format, w0, b, &u0lo, &u0hi);
        if (rows == 2) unpack(format, w1, b, &u1lo, &u1hi);
        for (int i = 0; i < nt; i++) {
            const float *xi = x + i * ldx + b * 32;
            __m512 xlo = _mm512_loadu_ps(xi), xhi = _mm512_loadu_ps(xi + 16);
            a0[i] = _mm512_fmadd_ps(u0hi, xhi, _mm512_fmadd_ps(u0lo, xlo, a0[i]));
            if (rows == 2) a1[i] = _mm512_fmadd_ps(u1hi, xhi, _mm512_fmadd_ps(u1lo, xlo, a1[i]));
        }
    }
    for (int i = 0; i < nt; i++) {
        float s0 = _mm512_reduce_add_ps(a0[i]);
        if (tail < cols) s0 += tail_dot(format, w0, tail, cols, x + i * ldx);
        store(y + i * ldy + r, s0, accumulate);
        if (rows == 2) {
            float s1 = _mm512_reduce_add_ps(a1[i]);
            if (tail < cols) s1 += tail_dot(format, w1, tail, cols, x + i * ldx);
            store(y + i * ldy + r + 1, s1, accumulate);
        }
    }
}

INLINE void tile_rows(const int format, const int nt, const uint8_t *w, size_t rb, int64_t cols,
                      const float *x, int64_t ldx, float *y, int64_t ldy, int64_t r0, int64_t r1,
                      int accumulate) {
    int64_t r = r0;
    for (; r + 2 <= r1; r += 2) tile(format, 2, nt, w, rb, cols, x, ldx, y, ldy, r, accumulate);
    if (r < r1) tile(format, 1, nt, w, rb, cols, x, ldx, y, ldy, r, accumulate);
}

INLINE void matmul_many(const int format, const uint8_t *w, size_t rb, int64_t cols,
                        const float *x, int64_t ldx, int64_t n, float *y, int64_t ldy,
                        int64_t r0, int64_t r1, int accumulate) {
    // Row chunks outermost so a chunk of weights stays in cache while every input tile
    // passes over it.
    for (int64_t c0 = r0; c0 < r1; c0 += ROW_CHUNK) {
        int64_t c1 = c0 + ROW_CHUNK < r1 ? c0 + ROW_CHUNK : r1;
        for (int64_t i0 = 0; i0 < n; i0 += INPUT_TILE) {
            const float *xt = x + i0 * ldx;
            float *yt = y + i0 * ldy;
            switch (n - i0 < INPUT_TILE ? n - i0 : INPUT_TILE) {
            case 1: matvec(format, w, rb, cols, xt, yt, c0, c1, accumulate); break;
            case 2: tile_rows(format, 2, w, rb, cols, xt, ldx, yt, ldy, c0, c1, accumulate); break;
            case 3: tile_rows(format, 3, w, rb, cols, xt, ldx, yt, ldy, c0, c1, accumulate); break;
            case 4: tile_rows(format, 4, w, rb, cols, xt, ldx, yt, ldy, c0, c1, accumulate); break;
            case 5: tile_rows(format, 5, w, rb, cols, xt, ldx, yt, ldy, c0, c1, accumulate); break;
            case 6: tile_rows(format, 6, w, rb, cols, xt, ldx, yt, ldy, c0, c1, accumulate); break;
            case 7: tile_rows(format, 7, w, rb, cols, xt, ldx, yt, ldy, c0, c1, accumulate); break;
            default: tile_rows(format, 8, w, rb, cols, xt, ldx, yt, ldy, c0, c1, accumulate); break;
            }
        }
    }
}

#define FORMAT_CASES(CALL)                                                  \
    switch (format) {                                                       \
    case TRELLIS_FORMAT_F32: CALL(TRELLIS_FORMAT_F32); break;               \
    case TRELLIS_FORMAT_F16: CALL(TRELLIS_FORMAT_F16); break;               \
    case TRELLIS_FORMAT_Q4_0: CALL(TRELLIS_FORMAT_Q4_0); break;             \
    case TRELLIS_FORMAT_Q4_1: CALL(TRELLIS_FORMAT_Q4_1); break;             \
    case TRELLIS_FORMAT_Q8_0: CALL(TRELLIS_FORMAT_Q8_0); break;             \
    default: break;                                                         \
    }

static AVX512 void avx512_matmul(int format, const void *w, size_t rb, int64_t cols,
                                 const float *x, int64_t ldx, int64_t n,
                                 float *y, int64_t ldy, int64_t r0, int64_t r1, int accumulate) {
    if (n == 1) {
#define CALL(F) matvec(F, (const uint8_t *)w, rb, cols, x, y, r0, r1, accumulate)
        FORMAT_CASES(CALL)
#undef CALL
    } else {
#define CALL(F) matmul_many(F, (const uint8_t *)w, rb, cols, x, ldx, n, y, ldy, r0, r1, accumulate)
        FORMAT_CASES(CALL)
#undef CALL
    }
}

static AVX512 void avx512_dequantize_row(int format, const void *src, float *dst, int64_t count) {
    const int64_t blocks = count / TRELLIS_BLOCK;
    for (int64_t b = 0; b < blocks; b++) {
        __m512 lo, hi;
#define CALL(F) unpack(F, (const uint8_t *)src, b, &lo, &hi)
        FORMAT_CASES(CALL)
#undef CALL
        _mm512_storeu_ps(dst + b * 32, lo);
        _mm512_storeu_ps(dst + b * 32 + 16, hi);
    }
    for (int64_t k = blocks * TRELLIS_BLOCK; k < count; k++) {
        dst[k] = format == TRELLIS_FORMAT_F16 ? trellis_half_to_float(trellis_load_u16((const uint8_t *)src + k * 2))
                                              : ((const float *)src)[k];
    }
}

// ---- vector ops -----------------------------------------------------------------------

/// e^x for 16 lanes: x = n ln2 + r with |r| <= ln2/2, e^r by its degree-7 Taylor polynomial
/// (truncation below 1e-8 relative), then scaled by 2^n with vscalefps (exact, and it
/// saturates to 0 or infinity at the ends).
INLINE __m512 exp16(__m512 x) {
    x = _mm512_max_ps(_mm512_min_ps(x, _mm512_set1_ps(89.0f)), _mm512_set1_ps(-104.0f));
    __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)),
                                    _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693145751953125f), x);
    r = _mm512_fnmadd_ps(n, _mm512_set1_ps(1.428606765330187045e-06f), r);
    __m512 p = _mm512_set1_ps(1.0f / 5040);
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 720));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 120));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 24));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 6));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(0.5f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
    return _mm512_scalef_ps(p, n);
}

static AVX512 float avx512_max(const float *x, int64_t count) {
    __m512 m = _mm512_set1_ps(-INFINITY);
    int64_t i = 0;
    for (; i + 16 <= count; i += 16) m = _mm512_max_ps(m, _mm512_loadu_ps(x + i));
    if (i < count) {
        __mmask16 k = (__mmask16)((1u << (count - i)) - 1);
        m = _mm512_max_ps(m, _mm512_mask_loadu_ps(_mm512_set1_ps(-INFINITY), k, x + i));
    }
    return _mm512_reduce_max_ps(m);
}

/// Sum of e^(x - shift); when `store` is set, x is overwritten with the exponentials.
INLINE float exp_sum(float *x, int64_t count, float shift, const int store) {
    __m512 s = _mm512_set1_ps(shift), acc = _mm512_setzero_ps();
    int64_t i = 0;
    for (; i + 16 <= count; i += 16) {
        __m512 e = exp16(_mm512_sub_ps(_mm512_loadu_ps(x + i), s));
        if (store) _mm512_storeu_ps(x + i, e);
        acc = _mm512_add_ps(acc, e);
    }
    if (i < count) {
        __mmask16 k = (__mmask16)((1u << (count - i)) - 1);
        __m512 e = _mm512_maskz_mov_ps(k, exp16(_mm512_sub_ps(_mm512_maskz_loadu_ps(k, x + i), s)));
        if (store) _mm512_mask_storeu_ps(x + i, k, e);
        acc = _mm512_add_ps(acc, e);
    }
    return _mm512_reduce_add_ps(acc);
}

static AVX512 void avx512_scale(float *x, float a, int64_t count) {
    __m512 va = _mm512_set1_ps(a);
    int64_t i = 0;
    for (; i + 16 <= count; i += 16) _mm512_storeu_ps(x + i, _mm512_mul_ps(_mm512_loadu_ps(x + i), va));
    if (i < count) {
        __mmask16 k = (__mmask16)((1u << (count - i)) - 1);
        _mm512_mask_storeu_ps(x + i, k, _mm512_mul_ps(_mm512_maskz_loadu_ps(k, x + i), va));
    }
}

static AVX512 void avx512_softmax(float *x, int64_t count) {
    float sum = exp_sum(x, count, avx512_max(x, count), 1);
    avx512_scale(x, 1.0f / sum, count);
}

static AVX512 void avx512_log_softmax(float *x, int64_t count) {
    float max = avx512_max(x, count);
    float shift = max + logf(exp_sum(x, count, max, 0));
    __m512 s = _mm512_set1_ps(shift);
    int64_t i = 0;
    for (; i + 16 <= count; i += 16) _mm512_storeu_ps(x + i, _mm512_sub_ps(_mm512_loadu_ps(x + i), s));
    for (; i < count; i++) x[i] -= shift;
}

static AVX512 void avx512_silu_mul(const float *gate, const float *up, float *out, int64_t count) {
    const __m512 one = _mm512_set1_ps(1.0f);
    int64_t i = 0;
    for (; i + 16 <= count; i += 16) {
        __m512 g = _mm512_loadu_ps(gate + i);
        __m512 e = exp16(_mm512_sub_ps(_mm512_setzero_ps(), g));
        _mm512_storeu_ps(out + i, _mm512_mul_ps(_mm512_div_ps(g, _mm512_add_ps(one, e)), _mm512_loadu_ps(up + i)));
    }
    for (; i < count; i++) out[i] = gate[i] / (1.0f + expf(-gate[i])) * up[i];
}

static AVX512 float avx512_dot(const float *x, const float *y, int64_t count) {
    __m512 a0 = _mm512_setzero_ps(), a1 = a0;
    int64_t i = 0;
    for (; i + 32 <= count; i += 32) {
        a0 = _mm512_fmadd_ps(_mm512_loadu_ps(x + i), _mm512_loadu_ps(y + i), a0);
        a1 = _mm512_fmadd_ps(_mm512_loadu_ps(x + i + 16), _mm512_loadu_ps(y + i + 16), a1);
    }
    if (i + 16 <= count) {
        a0 = _mm512_fmadd_ps(_mm512_loadu_ps(x + i), _mm512_loadu_ps(y + i), a0);
        i += 16;
    }
    if (i < count) {
        __mmask16 k = (__mmask16)((1u << (count - i)) - 1);
        a1 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(k, x + i), _mm512_maskz_loadu_ps(k, y + i), a1);
    }
    return _mm512_reduce_add_ps(_mm512_add_ps(a0, a1));
}

static AVX512 void avx512_rms_norm(const float *x, const float *weight, float eps, float *out,
                                   int64_t count) {
    float inv = 1.0f / sqrtf(avx512_dot(x, x, count) / (float)count + eps);
    __m512 s = _mm512_set1_ps(inv);
    int64_t i = 0;
    for (; i + 16 <= count; i += 16)
        _mm512_storeu_ps(out + i, _mm512_mul_ps(_mm512_mul_ps(_mm512_loadu_ps(x + i), s), _mm512_loadu_ps(weight + i)));
    for (; i < count; i++) out[i] = x[i] * inv * weight[i];
}

static AVX512 void avx512_add(float *y, const float *x, int64_t count) {
    int64_t i = 0;
    for (; i + 16 <= count; i += 16) _mm512_storeu_ps(y + i, _mm512_add_ps(_mm512_loadu_ps(y + i), _mm512_loadu_ps(x + i)));
    for (; i < count; i++) y[i] += x[i];
}

static AVX512 void avx512_axpy(float *y, float a, const float *x, int64_t count) {
    __m512 va = _mm512_set1_ps(a);
    int64_t i = 0;
    for (; i + 16 <= count; i += 16) _mm512_storeu_ps(y + i, _mm512_fmadd_ps(va, _mm512_loadu_ps(x + i), _mm512_loadu_ps(y + i)));
    for (; i < count; i++) y[i] += a * x[i];
}

void trellis_fill_avx512(trellis_ops *ops) {
    ops->matmul = avx512_matmul;
    ops->dequantize_row = avx512_dequantize_row;
    ops->rms_norm = avx512_rms_norm;
    ops->softmax = avx512_softmax;
    ops->log_softmax = avx512_log_softmax;
    ops->silu_mul = avx512_silu_mul;
    ops->add = avx512_add;
    ops->axpy = avx512_axpy;
    ops->scale = avx512_scale;
    ops->dot = avx512_dot;
}
#endif
