// Int8 activations: the packed-row layout (see trellis_kernels.h), the plain C quantizer, the
// scalar twin of the int8 product (the reference the VNNI kernel is tested against), and the
// dispatch between them.

#include "internal.h"
#include <math.h>

#define GROUP_BLOCKS 4
#define GROUP_BYTES 256

size_t trellis_int8_row_bytes(int64_t cols) {
    if (cols <= 0 || cols % TRELLIS_BLOCK) return 0;
    int64_t blocks = cols / TRELLIS_BLOCK;
    return (size_t)((blocks + GROUP_BLOCKS - 1) / GROUP_BLOCKS) * GROUP_BYTES;
}

int trellis_int8_supports(int format) {
    return format == TRELLIS_FORMAT_Q4_0 || format == TRELLIS_FORMAT_Q4_1 || format == TRELLIS_FORMAT_Q8_0;
}

int trellis_int8_fast(void) {
#if defined(__x86_64__) || defined(_M_X64)
    __builtin_cpu_init();
    return trellis_level_available(TRELLIS_LEVEL_AVX512) && __builtin_cpu_supports("avx512vnni");
#else
    return 0;
#endif
}

/// Writes block `b` (32 floats at x) into its group slot of the packed row `out`.
static void pack_block_scalar(const float *x, int64_t b, uint8_t *out) {
    uint8_t *group = out + (size_t)(b / GROUP_BLOCKS) * GROUP_BYTES;
    const int k = (int)(b % GROUP_BLOCKS);
    float amax = 0, sum = 0;
    for (int j = 0; j < TRELLIS_BLOCK; j++) {
        float a = fabsf(x[j]);
        if (a > amax) amax = a;
        sum += x[j];
    }
    const float d = amax / 127.0f, inverse = d != 0 ? 1.0f / d : 0.0f;
    int8_t *lo = (int8_t *)group + 16 * k, *hi = (int8_t *)group + 64 + 16 * k;
    for (int j = 0; j < TRELLIS_BLOCK; j++) {
        long q = lrintf(x[j] * inverse);
        q = q > 127 ? 127 : q < -127 ? -127 : q;
        if (j < 16) lo[j] = (int8_t)q; else hi[j - 16] = (int8_t)q;
    }
    float lanes[8] = {d, d, d, d, sum, 0, 0, 0};
    memcpy(group + 128 + 16 * k, lanes, 16);
    memcpy(group + 192 + 16 * k, lanes + 4, 16);
}

void trellis_quantize_activations_scalar(const float *x, int64_t ldx, int64_t n, int64_t cols,
                                         void *xq) {
    const size_t row_bytes = trellis_int8_row_bytes(cols);
    const int64_t blocks = cols / TRELLIS_BLOCK;
    for (int64_t i = 0; i < n; i++) {
        uint8_t *out = (uint8_t *)xq + (size_t)i * row_bytes;
        // Padding blocks of a partial last group must read as zeros.
        memset(out + (size_t)(blocks / GROUP_BLOCKS) * GROUP_BYTES, 0,
               row_bytes - (size_t)(blocks / GROUP_BLOCKS) * GROUP_BYTES);
        for (int64_t b = 0; b < blocks; b++) pack_block_scalar(x + i * ldx + b * TRELLIS_BLOCK, b, out);
    }
}

/// Integer dot of block `b` of a weight row with packed block `b`, and the block's scale terms.
static float block_dot_int8(int format, const uint8_t *row, int64_t b, const uint8_t *packed) {
    const uint8_t *group = packed + (size_t)(b / GROUP_BLOCKS) * GROUP_BYTES;
    const int k = (int)(b % GROUP_BLOCKS);
    const int8_t *lo = (const int8_t *)group + 16 * k, *hi = (const int8_t *)group + 64 + 16 * k;
    float dx, xsum;
    memcpy(&dx, group + 128 + 16 * k, 4);
    memcpy(&xsum, group + 192 + 16 * k, 4);
    int32_t isum = 0;
    float dw, mw = 0;
    switch (format) {
    case TRELLIS_FORMAT_Q8_0: {
        const uint8_t *p = row + (size_t)b * TRELLIS_Q8_0_BYTES;
        const int8_t *qs = (const int8_t *)(p + 2);
        dw = trellis_half_to_float(trellis_load_u16(p));
        for (int j = 0; j < 16; j++) isum += qs[j] * lo[j] + qs[16 + j] * hi[j];
        break;
    }
    case TRELLIS_FORMAT_Q4_1: {
        // element = d * q + m = d * (q - 8) + (m + 8 d): centred nibbles on integers, the
        // offset on the float block sum.
        const uint8_t *p = row + (size_t)b * TRELLIS_Q4_1_BYTES;
        dw = trellis_half_to_float(trellis_load_u16(p));
        mw = trellis_half_to_float(trellis_load_u16(p + 2)) + 8.0f * dw;
        for (int j = 0; j < 16; j++) isum += ((p[4 + j] & 15) - 8) * lo[j] + ((p[4 + j] >> 4) - 8) * hi[j];
        break;
    }
    default: {  // Q4_0: element = d * (q - 8).
        const uint8_t *p = row + (size_t)b * TRELLIS_Q4_0_BYTES;
        dw = trellis_half_to_float(trellis_load_u16(p));
        for (int j = 0; j < 16; j++) isum += ((p[2 + j] & 15) - 8) * lo[j] + ((p[2 + j] >> 4) - 8) * hi[j];
        break;
    }
    }
    return (float)isum * (dw * dx) + mw * xsum;
}

void trellis_matmul_rows_int8_scalar(int format, const void *w, size_t w_row_bytes, int64_t cols,
                                     const void *xq, int64_t n, float *y, int64_t ldy,
                                     int64_t r0, int64_t r1, int accumulate) {
    const size_t row_bytes = trellis_int8_row_bytes(cols);
    const int64_t blocks = cols / TRELLIS_BLOCK;
    for (int64_t r = r0; r < r1; r++) {
        const uint8_t *row = (const uint8_t *)w + (size_t)r * w_row_bytes;
        for (int64_t i = 0; i < n; i++) {
            const uint8_t *packed = (const uint8_t *)xq + (size_t)i * row_bytes;
            float sum = 0;
            for (int64_t b = 0; b < blocks; b++) sum += block_dot_int8(format, row, b, packed);
            float *out = y + i * ldy + r;
            *out = accumulate ? *out + sum : sum;
        }
    }
}

void trellis_quantize_activations(int level, const float *x, int64_t ldx, int64_t n, int64_t cols,
                                  void *xq) {
    if (n <= 0 || trellis_int8_row_bytes(cols) == 0) return;
#if defined(__x86_64__) || defined(_M_X64)
    if (level != TRELLIS_LEVEL_SCALAR && trellis_level_available(TRELLIS_LEVEL_AVX512)) {
        trellis_quantize_activations_avx512(x, ldx, n, cols, xq);
        return;
    }
#endif
    (void)level;
    trellis_quantize_activations_scalar(x, ldx, n, cols, xq);
}

void trellis_matmul_rows_int8(int level, int format, const void *w, size_t w_row_bytes,
                              int64_t cols, const void *xq, int64_t n,
                              float *y, int64_t ldy, int64_t r0, int64_t r1, int accumulate) {
    if (n <= 0 || r1 <= r0 || !trellis_int8_supports(format) || trellis_int8_row_bytes(cols) == 0) return;
#if defined(__x86_64__) || defined(_M_X64)
    if (level != TRELLIS_LEVEL_SCALAR && trellis_int8_fast()) {
        trellis_matmul_rows_int8_vnni(format, w, w_row_bytes, cols, xq, n, y, ldy, r0, r1, accumulate);
        return;
    }
#endif
    trellis_matmul_rows_int8_scalar(format, w, w_row_bytes, cols, xq, n, y, ldy, r0, r1, accumulate);
}
