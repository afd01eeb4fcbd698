// AVX2 + FMA + F16C level, for x86-64 machines without AVX-512. Same scheme as the AVX-512
// level with 8-lane registers: a 32-element block is four registers (elements 0-7, 8-15,
// 16-23, 24-31). n = 1 takes four weight rows at a time; n > 1 dequantizes each block once
// and reuses it for up to 8 inputs (16 ymm registers leave room for one weight row).

#if defined(__x86_64__) || defined(_M_X64)
#include "internal.h"
#include <immintrin.h>
#include <math.h>

#define AVX2 __attribute__((target("avx2,fma,f16c")))
#define INLINE static inline __attribute__((always_inline)) AVX2

typedef struct { __m256 v[4]; } block8x4;

INLINE __m256 broadcast_half(const uint8_t *p) {
    return _mm256_cvtph_ps(_mm_set1_epi16((short)trellis_load_u16(p)));
}

INLINE float hsum(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
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

/// The 32 nibbles of a Q4 block as floats in element order (low nibbles first).
INLINE block8x4 nibbles(const uint8_t *qs) {
    __m128i q = _mm_loadu_si128((const __m128i *)qs);
    __m128i mask = _mm_set1_epi8(15);
    __m128i lo = _mm_and_si128(q, mask), hi = _mm_and_si128(_mm_srli_epi16(q, 4), mask);
    block8x4 out;
    out.v[0] = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(lo));
    out.v[1] = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_srli_si128(lo, 8)));
    out.v[2] = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(hi));
    out.v[3] = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_srli_si128(hi, 8)));
    return out;
}

INLINE block8x4 q8_values(const uint8_t *qs) {
    block8x4 out;
    for (int j = 0; j < 4; j++)
        out.v[j] = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)(qs + 8 * j))));
    return out;
}

INLINE block8x4 unpack(const int format, const uint8_t *row, int64_t b) {
    const uint8_t *p = row + (size_t)b * block_bytes(format);
    block8x4 out;
    switch (format) {
    case TRELLIS_FORMAT_Q4_1: {
        __m256 d = broadcast_half(p), m = broadcast_half(p + 2);
        out = nibbles(p + 4);
        for (int j = 0; j < 4; j++) out.v[j] = _mm256_fmadd_ps(out.v[j], d, m);
        break;
    }
    case TRELLIS_FORMAT_Q4_0: {
        __m256 d = broadcast_half(p), m = _mm256_mul_ps(d, _mm256_set1_ps(-8.0f));
        out = nibbles(p + 2);
        for (int j = 0; j < 4; j++) out.v[j] = _mm256_fmadd_ps(out.v[j], d, m);
        break;
    }
    case TRELLIS_FORMAT_Q8_0: {
        __m256 d = broadcast_half(p);
        out = q8_values(p + 2);
        for (int j = 0; j < 4; j++) out.v[j] = _mm256_mul_ps(out.v[j], d);
        break;
    }
    case TRELLIS_FORMAT_F16:
        for (int j = 0; j < 4; j++) out.v[j] = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(p + 16 * j)));
        break;
    default:
        for (int j = 0; j < 4; j++) out.v[j] = _mm256_loadu_ps((const float *)p + 8 * j);
    }
    return out;
}

INLINE block8x4 load_x(const float *x) {
    block8x4 out;
    for (int j = 0; j < 4; j++) out.v[j] = _mm256_loadu_ps(x + 8 * j);
    return out;
}

INLINE __m256 dot4(block8x4 a, block8x4 b) {
    __m256 t = _mm256_mul_ps(a.v[0], b.v[0]);
    t = _mm256_fmadd_ps(a.v[1], b.v[1], t);
    t = _mm256_fmadd_ps(a.v[2], b.v[2], t);
    return _mm256_fmadd_ps(a.v[3], b.v[3], t);
}

INLINE __m256 x_sum_term(const int format, block8x4 x) {
    __m256 s = _mm256_add_ps(_mm256_add_ps(x.v[0], x.v[1]), _mm256_add_ps(x.v[2], x.v[3]));
    return format == TRELLIS_FORMAT_Q4_0 ? _mm256_mul_ps(s, _mm256_set1_ps(8.0f)) : s;
}

/// acc += block b of row . x; xsum as in the AVX-512 level (sum(x), or 8 sum(x) for Q4_0).
INLINE __m256 block_dot(const int format, const uint8_t *row, int64_t b, block8x4 x, __m256 xsum,
                        __m256 acc) {
    const uint8_t *p = row + (size_t)b * block_bytes(format);
    switch (format) {
    case TRELLIS_FORMAT_Q4_1:
        acc = _mm256_fmadd_ps(dot4(nibbles(p + 4), x), broadcast_half(p), acc);
        return _mm256_fmadd_ps(xsum, broadcast_half(p + 2), acc);
    case TRELLIS_FORMAT_Q4_0:
        return _mm256_fmadd_ps(_mm256_sub_ps(dot4(nibbles(p + 2), x), xsum), broadcast_half(p), acc);
    case TRELLIS_FORMAT_Q8_0:
        return _mm256_fmadd_ps(dot4(q8_values(p + 2), x), broadcast_half(p), acc);
    default:
        return _mm256_add_ps(acc, dot4(unpack(format, row, b), x));
    }
}

INLINE float tail_dot(const int format, const uint8_t *row, int64_t k0, int64_t cols, const float *x) {
    float sum = 0;
    for (int64_t k = k0; k < cols; k++) {
        float w = format == TRELLIS_FORMAT_F16 ? trellis_half_to_float(trellis_load_u16(row + k * 2))
                                               : ((const float *)row)[k];
        sum += w * x[k];
    }
    return sum;
}

INLINE void prefetch_ahead(const uint8_t *p) {
    _mm_prefetch((const char *)p + TRELLIS_PREFETCH_BYTES, _MM_HINT_T0);
    _mm_prefetch((const char *)p + TRELLIS_PREFETCH_BYTES + 64, _MM_HINT_T0);
}

INLINE void store(float *out, float value, int accumulate) {
    *out = accumulate ? *out + value : value;
}

INLINE void matvec(const int format, const uint8_t *w, size_t rb, int64_t cols, const float *x,
                   float *y, int64_t r0, int64_t r1, int accumulate) {
    const int64_t blocks = cols / TRELLIS_BLOCK;
    const int64_t tail = blocks * TRELLIS_BLOCK;
    int64_t r = r0;
    for (; r + 4 <= r1; r += 4) {
        const uint8_t *w0 = w + (size_t)r * rb, *w1 = w0 + rb, *w2 = w1 + rb, *w3 = w2 + rb;
        __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
        const size_t sweep = 4 * block_bytes(format);
        for (int64_t b = 0; b < blocks; b++) {
            prefetch_ahead(w0 + (size_t)b * sweep);
            block8x4 xb = load_x(x + b * 32);
            __m256 xs = x_sum_term(format, xb);
            a0 = block_dot(format, w0, b, xb, xs, a0);
            a1 = block_dot(format, w1, b, xb, xs, a1);
            a2 = block_dot(format, w2, b, xb, xs, a2);
            a3 = block_dot(format, w3, b, xb, xs, a3);
        }
        float s0 = hsum(a0), s1 = hsum(a1), s2 = hsum(a2), s3 = hsum(a3);
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
        __m256 a0 = _mm256_setzero_ps();
        for (int64_t b = 0; b < blocks; b++) {
            block8x4 xb = load_x(x + b * 32);
            a0 = block_dot(format, w0, b, xb, x_sum_term(format, xb), a0);
        }
        float s0 = hsum(a0);
        if (tail < cols) s0 += tail_dot(format, w0, tail, cols, x);
        store(y + r, s0, accumulate);
    }
}

enum { INPUT_TILE = 8, ROW_CHUNK = 32 };

INLINE void tile(const int format, const int nt, const uint8_t *w, size_t rb, int64_t cols,
                 const float *x, int64_t ldx, float *y, int64_t ldy, int64_t r, int accumulate) {
    const int64_t blocks = cols / TRELLIS_BLOCK;
    const int64_t tail = blocks * TRELLIS_BLOCK;
    const uint8_t *w0 = w + (size_t)r * rb;
    __m256 acc[INPUT_TILE];
    for (int i = 0; i < nt; i++) acc[i] = _mm256_setzero_ps();
    for (int64_t b = 0; b < blocks; b++) {
        prefetch_ahead(w0 + (size_t)b * block_bytes(format));
        block8x4 u = unpack(format, w0, b);
        for (int i = 0; i < nt; i++) {
            const float *xi = x + i * ldx + b * 32;
            for (int j = 0; j < 4; j++) acc[i] = _mm256_fmadd_ps(u.v[j], _mm256_loadu_ps(xi + 8 * j), acc[i]);
        }
    }
    for (int i = 0; i < nt; i++) {
        float s = hsum(acc[i]);
        if (tail < cols) s += tail_dot(format, w0, tail, cols, x + i * ldx);
        store(y + i * ldy + r, s, accumulate);
    }
}

INLINE void matmul_many(const int format, const uint8_t *w, size_t rb, int64_t cols,
                        const float *x, int64_t ldx, int64_t n, float *y, int64_t ldy,
                        int64_t r0, int64_t r1, int accumulate) {
    for (int64_t c0 = r0; c0 < r1; c0 += ROW_CHUNK) {
        int64_t c1 = c0 + ROW_CHUNK < r1 ? c0 + ROW_CHUNK : r1;
        for (int64_t i0 = 0; i0 < n; i0 += INPUT_TILE) {
            const float *xt = x + i0 * ldx;
            float *yt = y + i0 * ldy;
            int64_t nt = n - i0 < INPUT_TILE ? n - i0 : INPUT_TILE;
            if (nt == 1) {
                matvec(format, w, rb, cols, xt, yt, c0, c1, accumulate);
                continue;
            }
            for (int64_t r = c0; r < c1; r++) {
                switch (nt) {
                case 2: tile(format, 2, w, rb, cols, xt, ldx, yt, ldy, r, accumulate); break;
                case 3: tile(format, 3, w, rb, cols, xt, ldx, yt, ldy, r, accumulate); break;
                case 4: tile(format, 4, w, rb, cols, xt, ldx, yt, ldy, r, accumulate); break;
                case 5: tile(format, 5, w, rb, cols, xt, ldx, yt, ldy, r, accumulate); break;
                case 6: tile(format, 6, w, rb, cols, xt, ldx, yt, ldy, r, accumulate); break;
                case 7: tile(format, 7, w, rb, cols, xt, ldx, yt, ldy, r, accumulate); break;
                default: tile(format, 8, w, rb, cols, xt, ldx, yt, ldy, r, accumulate); break;
                }
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

static AVX2 void avx2_matmul(int format, const void *w, size_t rb, int64_t cols,
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

static AVX2 void avx2_dequantize_row(int format, const void *src, float *dst, int64_t count) {
    const int64_t blocks = count / TRELLIS_BLOCK;
    for (int64_t b = 0; b < blocks; b++) {
        block8x4 u = {{_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps()}};
#define CALL(F) u = unpack(F, (const uint8_t *)src, b)
        FORMAT_CASES(CALL)
#undef CALL
        for (int j = 0; j < 4; j++) _mm256_storeu_ps(dst + b * 32 + 8 * j, u.v[j]);
    }
    for (int64_t k = blocks * TRELLIS_BLOCK; k < count; k++) {
        dst[k] = format == TRELLIS_FORMAT_F16 ? trellis_half_to_float(trellis_load_u16((const uint8_t *)src + k * 2))
                                              : ((const float *)src)[k];
    }
}

// ---- vector ops -----------------------------------------------------------------------

/// e^x for 8 lanes, as in the AVX-512 level but with 2^n built in the exponent bits; inputs
/// are clamped to [-87, 88] so 2^n stays a normal float (e^-87 ~ 1.6e-38 stands in for 0).
INLINE __m256 exp8(__m256 x) {
    x = _mm256_max_ps(_mm256_min_ps(x, _mm256_set1_ps(88.0f)), _mm256_set1_ps(-87.0f));
    __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                               _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693145751953125f), x);
    r = _mm256_fnmadd_ps(n, _mm256_set1_ps(1.428606765330187045e-06f), r);
    __m256 p = _mm256_set1_ps(1.0f / 5040);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 720));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 120));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 24));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 6));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(0.5f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
    __m256i bits = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
    return _mm256_mul_ps(p, _mm256_castsi256_ps(bits));
}

static AVX2 float avx2_max(const float *x, int64_t count) {
    __m256 m = _mm256_set1_ps(-INFINITY);
    int64_t i = 0;
    for (; i + 8 <= count; i += 8) m = _mm256_max_ps(m, _mm256_loadu_ps(x + i));
    __m128 h = _mm_max_ps(_mm256_castps256_ps128(m), _mm256_extractf128_ps(m, 1));
    h = _mm_max_ps(h, _mm_movehl_ps(h, h));
    h = _mm_max_ss(h, _mm_movehdup_ps(h));
    float best = _mm_cvtss_f32(h);
    for (; i < count; i++) best = x[i] > best ? x[i] : best;
    return best;
}

INLINE float exp_sum(float *x, int64_t count, float shift, const int store) {
    __m256 s = _mm256_set1_ps(shift), acc = _mm256_setzero_ps();
    int64_t i = 0;
    for (; i + 8 <= count; i += 8) {
        __m256 e = exp8(_mm256_sub_ps(_mm256_loadu_ps(x + i), s));
        if (store) _mm256_storeu_ps(x + i, e);
        acc = _mm256_add_ps(acc, e);
    }
    float sum = hsum(acc);
    for (; i < count; i++) {
        float e = expf(x[i] - shift);
        if (store) x[i] = e;
        sum += e;
    }
    return sum;
}

static AVX2 void avx2_scale(float *x, float a, int64_t count) {
    __m256 va = _mm256_set1_ps(a);
    int64_t i = 0;
    for (; i + 8 <= count; i += 8) _mm256_storeu_ps(x + i, _mm256_mul_ps(_mm256_loadu_ps(x + i), va));
    for (; i < count; i++) x[i] *= a;
}

static AVX2 void avx2_softmax(float *x, int64_t count) {
    float sum = exp_sum(x, count, avx2_max(x, count), 1);
    avx2_scale(x, 1.0f / sum, count);
}

static AVX2 void avx2_log_softmax(float *x, int64_t count) {
    float max = avx2_max(x, count);
    float shift = max + logf(exp_sum(x, count, max, 0));
    __m256 s = _mm256_set1_ps(shift);
    int64_t i = 0;
    for (; i + 8 <= count; i += 8) _mm256_storeu_ps(x + i, _mm256_sub_ps(_mm256_loadu_ps(x + i), s));
    for (; i < count; i++) x[i] -= shift;
}

static AVX2 void avx2_silu_mul(const float *gate, const float *up, float *out, int64_t count) {
    const __m256 one = _mm256_set1_ps(1.0f);
    int64_t i = 0;
    for (; i + 8 <= count; i += 8) {
        __m256 g = _mm256_loadu_ps(gate + i);
        __m256 e = exp8(_mm256_sub_ps(_mm256_setzero_ps(), g));
        _mm256_storeu_ps(out + i, _mm256_mul_ps(_mm256_div_ps(g, _mm256_add_ps(one, e)), _mm256_loadu_ps(up + i)));
    }
    for (; i < count; i++) out[i] = gate[i] / (1.0f + expf(-gate[i])) * up[i];
}

static AVX2 float avx2_dot(const float *x, const float *y, int64_t count) {
    __m256 a0 = _mm256_setzero_ps(), a1 = a0;
    int64_t i = 0;
    for (; i + 16 <= count; i += 16) {
        a0 = _mm256_fmadd_ps(_mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i), a0);
        a1 = _mm256_fmadd_ps(_mm256_loadu_ps(x + i + 8), _mm256_loadu_ps(y + i + 8), a1);
    }
    float sum = hsum(_mm256_add_ps(a0, a1));
    for (; i < count; i++) sum += x[i] * y[i];
    return sum;
}

static AVX2 void avx2_rms_norm(const float *x, const float *weight, float eps, float *out,
                               int64_t count) {
    float inv = 1.0f / sqrtf(avx2_dot(x, x, count) / (float)count + eps);
    __m256 s = _mm256_set1_ps(inv);
    int64_t i = 0;
    for (; i + 8 <= count; i += 8)
        _mm256_storeu_ps(out + i, _mm256_mul_ps(_mm256_mul_ps(_mm256_loadu_ps(x + i), s), _mm256_loadu_ps(weight + i)));
    for (; i < count; i++) out[i] = x[i] * inv * weight[i];
}

static AVX2 void avx2_add(float *y, const float *x, int64_t count) {
    int64_t i = 0;
    for (; i + 8 <= count; i += 8) _mm256_storeu_ps(y + i, _mm256_add_ps(_mm256_loadu_ps(y + i), _mm256_loadu_ps(x + i)));
    for (; i < count; i++) y[i] += x[i];
}

static AVX2 void avx2_axpy(float *y, float a, const float *x, int64_t count) {
    __m256 va = _mm256_set1_ps(a);
    int64_t i = 0;
    for (; i + 8 <= count; i += 8) _mm256_storeu_ps(y + i, _mm256_fmadd_ps(va, _mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i)));
    for (; i < count; i++) y[i] += a * x[i];
}

void trellis_fill_avx2(trellis_ops *ops) {
    ops->matmul = avx2_matmul;
    ops->dequantize_row = avx2_dequantize_row;
    ops->rms_norm = avx2_rms_norm;
    ops->softmax = avx2_softmax;
    ops->log_softmax = avx2_log_softmax;
    ops->silu_mul = avx2_silu_mul;
    ops->add = avx2_add;
    ops->axpy = avx2_axpy;
    ops->scale = avx2_scale;
    ops->dot = avx2_dot;
}
#endif
