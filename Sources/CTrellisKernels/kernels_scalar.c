// The plain reference level: straightforward loops in element order, no intrinsics. Every
// faster level is tested against these functions.

#include "internal.h"
#include <math.h>

float trellis_half_to_float(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    uint32_t exponent = (h >> 10) & 0x1fu;
    uint32_t mantissa = h & 0x3ffu;
    uint32_t bits;
    if (exponent == 0) {
        // Zero or subnormal: mantissa * 2^-24, exact in float.
        float magnitude = (float)mantissa * 5.9604644775390625e-08f;
        return sign ? -magnitude : magnitude;
    } else if (exponent == 31) {
        bits = sign | 0x7f800000u | (mantissa << 13);  // infinity or NaN (payload kept)
    } else {
        bits = sign | ((exponent + 112u) << 23) | (mantissa << 13);
    }
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

uint16_t trellis_float_to_half(float f) {
    uint32_t x;
    memcpy(&x, &f, sizeof x);
    uint32_t sign = (x >> 16) & 0x8000u;
    uint32_t magnitude = x & 0x7fffffffu;
    if (magnitude > 0x7f800000u) return (uint16_t)(sign | 0x7e00u | ((magnitude >> 13) & 0x3ffu));
    if (magnitude >= 0x477ff000u) return (uint16_t)(sign | 0x7c00u);  // >= 65520 rounds to inf
    if (magnitude < 0x38800000u) {
        // Subnormal half: a multiple of 2^-24; scaling by 2^24 is exact, rintf rounds to even.
        float a;
        memcpy(&a, &magnitude, sizeof a);
        return (uint16_t)(sign | (uint32_t)rintf(a * 16777216.0f));
    }
    // Normal: rebias the exponent (127 -> 15) and round the 13 dropped bits to nearest even;
    // a carry out of the mantissa correctly bumps the exponent.
    uint32_t rounded = magnitude + 0xfffu + ((magnitude >> 13) & 1u);
    return (uint16_t)(sign | ((rounded - 0x38000000u) >> 13));
}

size_t trellis_row_bytes(int format, int64_t cols) {
    if (cols < 0) return 0;
    switch (format) {
    case TRELLIS_FORMAT_F32: return (size_t)cols * 4;
    case TRELLIS_FORMAT_F16: return (size_t)cols * 2;
    case TRELLIS_FORMAT_Q4_0:
        return cols % TRELLIS_BLOCK ? 0 : (size_t)(cols / TRELLIS_BLOCK) * TRELLIS_Q4_0_BYTES;
    case TRELLIS_FORMAT_Q4_1:
        return cols % TRELLIS_BLOCK ? 0 : (size_t)(cols / TRELLIS_BLOCK) * TRELLIS_Q4_1_BYTES;
    case TRELLIS_FORMAT_Q8_0:
        return cols % TRELLIS_BLOCK ? 0 : (size_t)(cols / TRELLIS_BLOCK) * TRELLIS_Q8_0_BYTES;
    default: return 0;
    }
}

/// Dequantizes the 32-element block (or, for F32/F16, the `count` <= 32 elements) at element
/// index `start` of a row.
static void scalar_dequantize_block(int format, const uint8_t *row, int64_t start, float *out,
                                    int count) {
    int64_t b = start / TRELLIS_BLOCK;
    switch (format) {
    case TRELLIS_FORMAT_F32:
        memcpy(out, row + start * 4, (size_t)count * 4);
        break;
    case TRELLIS_FORMAT_F16:
        for (int j = 0; j < count; j++) out[j] = trellis_half_to_float(trellis_load_u16(row + (start + j) * 2));
        break;
    case TRELLIS_FORMAT_Q4_0: {
        const uint8_t *block = row + b * TRELLIS_Q4_0_BYTES;
        float d = trellis_half_to_float(trellis_load_u16(block));
        for (int j = 0; j < 16; j++) {
            out[j] = d * (float)((block[2 + j] & 15) - 8);
            out[j + 16] = d * (float)((block[2 + j] >> 4) - 8);
        }
        break;
    }
    case TRELLIS_FORMAT_Q4_1: {
        const uint8_t *block = row + b * TRELLIS_Q4_1_BYTES;
        float d = trellis_half_to_float(trellis_load_u16(block));
        float m = trellis_half_to_float(trellis_load_u16(block + 2));
        for (int j = 0; j < 16; j++) {
            out[j] = d * (float)(block[4 + j] & 15) + m;
            out[j + 16] = d * (float)(block[4 + j] >> 4) + m;
        }
        break;
    }
    case TRELLIS_FORMAT_Q8_0: {
        const uint8_t *block = row + b * TRELLIS_Q8_0_BYTES;
        float d = trellis_half_to_float(trellis_load_u16(block));
        for (int j = 0; j < 32; j++) out[j] = d * (float)(int8_t)block[2 + j];
        break;
    }
    default:
        for (int j = 0; j < count; j++) out[j] = 0;
    }
}

static void scalar_dequantize_row(int format, const void *src, float *dst, int64_t count) {
    float block[TRELLIS_BLOCK];
    for (int64_t k = 0; k < count; k += TRELLIS_BLOCK) {
        int len = count - k < TRELLIS_BLOCK ? (int)(count - k) : TRELLIS_BLOCK;
        scalar_dequantize_block(format, src, k, block, len);
        memcpy(dst + k, block, (size_t)len * sizeof(float));
    }
}

enum { SCALAR_INPUT_TILE = 8 };

static void scalar_matmul(int format, const void *w, size_t w_row_bytes, int64_t cols,
                          const float *x, int64_t ldx, int64_t n,
                          float *y, int64_t ldy, int64_t r0, int64_t r1, int accumulate) {
    float block[TRELLIS_BLOCK];
    for (int64_t i0 = 0; i0 < n; i0 += SCALAR_INPUT_TILE) {
        int64_t tile = n - i0 < SCALAR_INPUT_TILE ? n - i0 : SCALAR_INPUT_TILE;
        for (int64_t r = r0; r < r1; r++) {
            const uint8_t *row = (const uint8_t *)w + (size_t)r * w_row_bytes;
            float sums[SCALAR_INPUT_TILE] = {0};
            for (int64_t k = 0; k < cols; k += TRELLIS_BLOCK) {
                int len = cols - k < TRELLIS_BLOCK ? (int)(cols - k) : TRELLIS_BLOCK;
                scalar_dequantize_block(format, row, k, block, len);
                for (int64_t i = 0; i < tile; i++) {
                    const float *xi = x + (i0 + i) * ldx + k;
                    float s = sums[i];
                    for (int j = 0; j < len; j++) s += block[j] * xi[j];
                    sums[i] = s;
                }
            }
            for (int64_t i = 0; i < tile; i++) {
                float *out = y + (i0 + i) * ldy + r;
                *out = accumulate ? *out + sums[i] : sums[i];
            }
        }
    }
}

static void scalar_rms_norm(const float *x, const float *weight, float eps, float *out,
                            int64_t count) {
    float sum = 0;
    for (int64_t i = 0; i < count; i++) sum += x[i] * x[i];
    float inv = 1.0f / sqrtf(sum / (float)count + eps);
    for (int64_t i = 0; i < count; i++) out[i] = x[i] * inv * weight[i];
}

static void scalar_softmax(float *x, int64_t count) {
    float max = x[0];
    for (int64_t i = 1; i < count; i++) max = x[i] > max ? x[i] : max;
    float sum = 0;
    for (int64_t i = 0; i < count; i++) {
        x[i] = expf(x[i] - max);
        sum += x[i];
    }
    float inv = 1.0f / sum;
    for (int64_t i = 0; i < count; i++) x[i] *= inv;
}

static void scalar_log_softmax(float *x, int64_t count) {
    float max = x[0];
    for (int64_t i = 1; i < count; i++) max = x[i] > max ? x[i] : max;
    float sum = 0;
    for (int64_t i = 0; i < count; i++) sum += expf(x[i] - max);
    float shift = max + logf(sum);
    for (int64_t i = 0; i < count; i++) x[i] -= shift;
}

static void scalar_silu_mul(const float *gate, const float *up, float *out, int64_t count) {
    for (int64_t i = 0; i < count; i++) out[i] = gate[i] / (1.0f + expf(-gate[i])) * up[i];
}

static void scalar_add(float *y, const float *x, int64_t count) {
    for (int64_t i = 0; i < count; i++) y[i] += x[i];
}

static void scalar_axpy(float *y, float a, const float *x, int64_t count) {
    for (int64_t i = 0; i < count; i++) y[i] += a * x[i];
}

static void scalar_scale(float *x, float a, int64_t count) {
    for (int64_t i = 0; i < count; i++) x[i] *= a;
}

static float scalar_dot(const float *x, const float *y, int64_t count) {
    float sum = 0;
    for (int64_t i = 0; i < count; i++) sum += x[i] * y[i];
    return sum;
}

void trellis_fill_scalar(trellis_ops *ops) {
    ops->matmul = scalar_matmul;
    ops->dequantize_row = scalar_dequantize_row;
    ops->rms_norm = scalar_rms_norm;
    ops->softmax = scalar_softmax;
    ops->log_softmax = scalar_log_softmax;
    ops->silu_mul = scalar_silu_mul;
    ops->add = scalar_add;
    ops->axpy = scalar_axpy;
    ops->scale = scalar_scale;
    ops->dot = scalar_dot;
}
