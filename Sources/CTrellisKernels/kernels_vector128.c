// Portable 128-bit level written with GCC/clang vector extensions: it compiles to NEON on
// aarch64 and to SSE2 on any x86-64, so the same source is tested here on x86 and serves
// ARM machines. Same schemes as the AVX levels: n = 1 takes four weight rows at a time and
// computes a Q4 block as d * sum(q * x) + m * sum(x); n > 1 dequantizes each block once
// into 32 floats and reuses it for up to 4 inputs. F16 blocks are widened one element at a
// time (no portable vector half conversion on x86 baselines).

#include "internal.h"
#include <math.h>

typedef float f4 __attribute__((vector_size(16)));
typedef int32_t i4 __attribute__((vector_size(16)));
typedef uint32_t u4 __attribute__((vector_size(16)));
typedef uint8_t u8x16 __attribute__((vector_size(16)));
typedef int8_t i8x16 __attribute__((vector_size(16)));
typedef uint8_t u8x4 __attribute__((vector_size(4)));
typedef int8_t i8x4 __attribute__((vector_size(4)));

#define INLINE static inline __attribute__((always_inline))

INLINE f4 load4(const float *p) {
    f4 v;
    memcpy(&v, p, sizeof v);
    return v;
}
INLINE void store4(float *p, f4 v) { memcpy(p, &v, sizeof v); }
INLINE f4 splat(float a) { return (f4){a, a, a, a}; }
INLINE float hsum4(f4 v) { return (v[0] + v[2]) + (v[1] + v[3]); }

/// A 32-element block as eight 4-lane vectors, element order.
typedef struct { f4 v[8]; } block32;

INLINE size_t block_bytes(const int format) {
    switch (format) {
    case TRELLIS_FORMAT_Q4_0: return TRELLIS_Q4_0_BYTES;
    case TRELLIS_FORMAT_Q4_1: return TRELLIS_Q4_1_BYTES;
    case TRELLIS_FORMAT_Q8_0: return TRELLIS_Q8_0_BYTES;
    case TRELLIS_FORMAT_F16: return 64;
    default: return 128;
    }
}

// Lanes start..start+3 of a 16-byte vector, widened to float (shuffle indices must be
// constants, hence macros).
#define widen_u8(q, start) \
    __builtin_convertvector((u8x4)__builtin_shufflevector(q, q, start, start + 1, start + 2, start + 3), f4)
#define widen_i8(q, start) \
    __builtin_convertvector((i8x4)__builtin_shufflevector(q, q, start, start + 1, start + 2, start + 3), f4)

/// The nibbles of a Q4 block as floats 0..15 in element order.
INLINE block32 nibbles(const uint8_t *qs) {
    u8x16 q;
    memcpy(&q, qs, sizeof q);
    u8x16 lo = q & 15, hi = q >> 4;
    block32 out;
    out.v[0] = widen_u8(lo, 0);
    out.v[1] = widen_u8(lo, 4);
    out.v[2] = widen_u8(lo, 8);
    out.v[3] = widen_u8(lo, 12);
    out.v[4] = widen_u8(hi, 0);
    out.v[5] = widen_u8(hi, 4);
    out.v[6] = widen_u8(hi, 8);
    out.v[7] = widen_u8(hi, 12);
    return out;
}

INLINE block32 q8_values(const uint8_t *qs) {
    i8x16 a, b;
    memcpy(&a, qs, sizeof a);
    memcpy(&b, qs + 16, sizeof b);
    block32 out;
    out.v[0] = widen_i8(a, 0);
    out.v[1] = widen_i8(a, 4);
    out.v[2] = widen_i8(a, 8);
    out.v[3] = widen_i8(a, 12);
    out.v[4] = widen_i8(b, 0);
    out.v[5] = widen_i8(b, 4);
    out.v[6] = widen_i8(b, 8);
    out.v[7] = widen_i8(b, 12);
    return out;
}

INLINE block32 unpack(const int format, const uint8_t *row, int64_t b) {
    const uint8_t *p = row + (size_t)b * block_bytes(format);
    block32 out;
    switch (format) {
    case TRELLIS_FORMAT_Q4_1: {
        f4 d = splat(trellis_half_to_float(trellis_load_u16(p)));
        f4 m = splat(trellis_half_to_float(trellis_load_u16(p + 2)));
        out = nibbles(p + 4);
        for (int j = 0; j < 8; j++) out.v[j] = out.v[j] * d + m;
        break;
    }
    case TRELLIS_FORMAT_Q4_0: {
        f4 d = splat(trellis_half_to_float(trellis_load_u16(p)));
        out = nibbles(p + 2);
        for (int j = 0; j < 8; j++) out.v[j] = (out.v[j] - 8.0f) * d;
        break;
    }
    case TRELLIS_FORMAT_Q8_0: {
        f4 d = splat(trellis_half_to_float(trellis_load_u16(p)));
        out = q8_values(p + 2);
        for (int j = 0; j < 8; j++) out.v[j] = out.v[j] * d;
        break;
    }
    case TRELLIS_FORMAT_F16: {
        float tmp[32];
        for (int j = 0; j < 32; j++) tmp[j] = trellis_half_to_float(trellis_load_u16(p + 2 * j));
        for (int j = 0; j < 8; j++) out.v[j] = load4(tmp + 4 * j);
        break;
    }
    default:
        for (int j = 0; j < 8; j++) out.v[j] = load4((const float *)p + 4 * j);
    }
    return out;
}

INLINE block32 load_x(const float *x) {
    block32 out;
    for (int j = 0; j < 8; j++) out.v[j] = load4(x + 4 * j);
    return out;
}

INLINE f4 dot8(block32 a, block32 b) {
    f4 s0 = a.v[0] * b.v[0] + a.v[1] * b.v[1];
    f4 s1 = a.v[2] * b.v[2] + a.v[3] * b.v[3];
    f4 s2 = a.v[4] * b.v[4] + a.v[5] * b.v[5];
    f4 s3 = a.v[6] * b.v[6] + a.v[7] * b.v[7];
    return (s0 + s1) + (s2 + s3);
}

/// acc += block b of row . x; xsum is sum(x) (Q4_1) or 8 sum(x) (Q4_0), lane-wise.
INLINE f4 block_dot(const int format, const uint8_t *row, int64_t b, block32 x, f4 xsum, f4 acc) {
    const uint8_t *p = row + (size_t)b * block_bytes(format);
    switch (format) {
    case TRELLIS_FORMAT_Q4_1:
        return acc + dot8(nibbles(p + 4), x) * trellis_half_to_float(trellis_load_u16(p)) +
               xsum * trellis_half_to_float(trellis_load_u16(p + 2));
    case TRELLIS_FORMAT_Q4_0:
        return acc + (dot8(nibbles(p + 2), x) - xsum) * trellis_half_to_float(trellis_load_u16(p));
    case TRELLIS_FORMAT_Q8_0:
        return acc + dot8(q8_values(p + 2), x) * trellis_half_to_float(trellis_load_u16(p));
    default:
        return acc + dot8(unpack(format, row, b), x);
    }
}

INLINE f4 x_sum_term(const int format, block32 x) {
    f4 s = ((x.v[0] + x.v[1]) + (x.v[2] + x.v[3])) + ((x.v[4] + x.v[5]) + (x.v[6] + x.v[7]));
    return format == TRELLIS_FORMAT_Q4_0 ? s * 8.0f : s;
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
        f4 a0 = splat(0), a1 = a0, a2 = a0, a3 = a0;
        const size_t sweep = 4 * block_bytes(format);
        for (int64_t b = 0; b < blocks; b++) {
            __builtin_prefetch(w0 + (size_t)b * sweep + TRELLIS_PREFETCH_BYTES);
            __builtin_prefetch(w0 + (size_t)b * sweep + TRELLIS_PREFETCH_BYTES + 64);
            block32 xb = load_x(x + b * 32);
            f4 xs = x_sum_term(format, xb);
            a0 = block_dot(format, w0, b, xb, xs, a0);
            a1 = block_dot(format, w1, b, xb, xs, a1);
            a2 = block_dot(format, w2, b, xb, xs, a2);
            a3 = block_dot(format, w3, b, xb, xs, a3);
        }
        float s0 = hsum4(a0), s1 = hsum4(a1), s2 = hsum4(a2), s3 = hsum4(a3);
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
        f4 a0 = splat(0);
        for (int64_t b = 0; b < blocks; b++) {
            block32 xb = load_x(x + b * 32);
            a0 = block_dot(format, w0, b, xb, x_sum_term(format, xb), a0);
        }
        float s0 = hsum4(a0);
        if (tail < cols) s0 += tail_dot(format, w0, tail, cols, x);
        store(y + r, s0, accumulate);
    }
}

enum { INPUT_TILE = 4, ROW_CHUNK = 32 };

INLINE void tile(const int format, const int nt, const uint8_t *w, size_t rb, int64_t cols,
                 const float *x, int64_t ldx, float *y, int64_t ldy, int64_t r, int accumulate) {
    const int64_t blocks = cols / TRELLIS_BLOCK;
    const int64_t tail = blocks * TRELLIS_BLOCK;
    const uint8_t *w0 = w + (size_t)r * rb;
    f4 acc[INPUT_TILE][2];
    for (int i = 0; i < nt; i++) acc[i][0] = acc[i][1] = splat(0);
    for (int64_t b = 0; b < blocks; b++) {
        __builtin_prefetch(w0 + (size_t)b * block_bytes(format) + TRELLIS_PREFETCH_BYTES);
        block32 u = unpack(format, w0, b);
        for (int i = 0; i < nt; i++) {
            const float *xi = x + i * ldx + b * 32;
            for (int j = 0; j < 8; j += 2) {
                acc[i][0] += u.v[j] * load4(xi + 4 * j);
                acc[i][1] += u.v[j + 1] * load4(xi + 4 * j + 4);
            }
        }
    }
    for (int i = 0; i < nt; i++) {
        float s = hsum4(acc[i][0] + acc[i][1]);
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
                default: tile(format, 4, w, rb, cols, xt, ldx, yt, ldy, r, accumulate); break;
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

static void v128_matmul(int format, const void *w, size_t rb, int64_t cols,
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

static void v128_dequantize_row(int format, const void *src, float *dst, int64_t count) {
    const int64_t blocks = count / TRELLIS_BLOCK;
    for (int64_t b = 0; b < blocks; b++) {
        block32 u;
        memset(&u, 0, sizeof u);
#define CALL(F) u = unpack(F, (const uint8_t *)src, b)
        FORMAT_CASES(CALL)
#undef CALL
        for (int j = 0; j < 8; j++) store4(dst + b * 32 + 4 * j, u.v[j]);
    }
    for (int64_t k = blocks * TRELLIS_BLOCK; k < count; k++) {
        dst[k] = format == TRELLIS_FORMAT_F16 ? trellis_half_to_float(trellis_load_u16((const uint8_t *)src + k * 2))
                                              : ((const float *)src)[k];
    }
}

// ---- vector ops -----------------------------------------------------------------------

/// e^x on 4 lanes: n = round(x log2 e), r = x − n ln 2 (two-part ln 2), degree-7 Taylor
/// polynomial, times 2^n built in the exponent bits; x clamped to [−87, 88] (2^n normal).
INLINE f4 exp4(f4 x) {
    for (int j = 0; j < 4; j++) x[j] = x[j] > 88.0f ? 88.0f : (x[j] < -87.0f ? -87.0f : x[j]);
    f4 t = x * 1.44269504088896341f;
    // Round half away from zero by truncating t ± 0.5 (sign copied bitwise).
    u4 sign = (u4)t & 0x80000000u;
    f4 half = (f4)(sign | 0x3f000000u);
    i4 ni = __builtin_convertvector(t + half, i4);
    f4 n = __builtin_convertvector(ni, f4);
    f4 r = x - n * 0.693145751953125f;
    r = r - n * 1.428606765330187045e-06f;
    f4 p = splat(1.0f / 5040);
    p = p * r + 1.0f / 720;
    p = p * r + 1.0f / 120;
    p = p * r + 1.0f / 24;
    p = p * r + 1.0f / 6;
    p = p * r + 0.5f;
    p = p * r + 1.0f;
    p = p * r + 1.0f;
    i4 bits = (ni + 127) << 23;
    return p * (f4)bits;
}

static float v128_max(const float *x, int64_t count) {
    float best = x[0];
    for (int64_t i = 1; i < count; i++) best = x[i] > best ? x[i] : best;
    return best;
}

INLINE float exp_sum(float *x, int64_t count, float shift, const int keep) {
    f4 acc = splat(0);
    int64_t i = 0;
    for (; i + 4 <= count; i += 4) {
        f4 e = exp4(load4(x + i) - shift);
        if (keep) store4(x + i, e);
        acc += e;
    }
    float sum = hsum4(acc);
    for (; i < count; i++) {
        float e = expf(x[i] - shift);
        if (keep) x[i] = e;
        sum += e;
    }
    return sum;
}

static void v128_scale(float *x, float a, int64_t count) {
    int64_t i = 0;
    for (; i + 4 <= count; i += 4) store4(x + i, load4(x + i) * a);
    for (; i < count; i++) x[i] *= a;
}

static void v128_softmax(float *x, int64_t count) {
    float sum = exp_sum(x, count, v128_max(x, count), 1);
    v128_scale(x, 1.0f / sum, count);
}

static void v128_log_softmax(float *x, int64_t count) {
    float max = v128_max(x, count);
    float shift = max + logf(exp_sum(x, count, max, 0));
    int64_t i = 0;
    for (; i + 4 <= count; i += 4) store4(x + i, load4(x + i) - shift);
    for (; i < count; i++) x[i] -= shift;
}

static void v128_silu_mul(const float *gate, const float *up, float *out, int64_t count) {
    int64_t i = 0;
    for (; i + 4 <= count; i += 4) {
        f4 g = load4(gate + i);
        store4(out + i, g / (1.0f + exp4(-g)) * load4(up + i));
    }
    for (; i < count; i++) out[i] = gate[i] / (1.0f + expf(-gate[i])) * up[i];
}

static float v128_dot(const float *x, const float *y, int64_t count) {
    f4 a0 = splat(0), a1 = a0;
    int64_t i = 0;
    for (; i + 8 <= count; i += 8) {
        a0 += load4(x + i) * load4(y + i);
        a1 += load4(x + i + 4) * load4(y + i + 4);
    }
    float sum = hsum4(a0 + a1);
    for (; i < count; i++) sum += x[i] * y[i];
    return sum;
}

static void v128_rms_norm(const float *x, const float *weight, float eps, float *out, int64_t count) {
    float inv = 1.0f / sqrtf(v128_dot(x, x, count) / (float)count + eps);
    int64_t i = 0;
    for (; i + 4 <= count; i += 4) store4(out + i, load4(x + i) * inv * load4(weight + i));
    for (; i < count; i++) out[i] = x[i] * inv * weight[i];
}

static void v128_add(float *y, const float *x, int64_t count) {
    int64_t i = 0;
    for (; i + 4 <= count; i += 4) store4(y + i, load4(y + i) + load4(x + i));
    for (; i < count; i++) y[i] += x[i];
}

static void v128_axpy(float *y, float a, const float *x, int64_t count) {
    int64_t i = 0;
    for (; i + 4 <= count; i += 4) store4(y + i, load4(y + i) + a * load4(x + i));
    for (; i < count; i++) y[i] += a * x[i];
}

void trellis_fill_vector128(trellis_ops *ops) {
    ops->matmul = v128_matmul;
    ops->dequantize_row = v128_dequantize_row;
    ops->rms_norm = v128_rms_norm;
    ops->softmax = v128_softmax;
    ops->log_softmax = v128_log_softmax;
    ops->silu_mul = v128_silu_mul;
    ops->add = v128_add;
    ops->axpy = v128_axpy;
    ops->scale = v128_scale;
    ops->dot = v128_dot;
}
