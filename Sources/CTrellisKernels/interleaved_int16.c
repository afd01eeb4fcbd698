// Int16 activations on row-interleaved weights: the weight layout and its packer, the plain C
// activation quantizer, the scalar twin of the product (the reference the VNNI kernel is tested
// against, bit for bit), and the dispatch between them. Layouts are in trellis_kernels.h.

#include "internal.h"
#include <math.h>

enum { GROUP_ROWS = 16, PAIRS = 16 };

int trellis_interleaved_supports(int format) {
    return format == TRELLIS_FORMAT_Q4_0 || format == TRELLIS_FORMAT_Q4_1 || format == TRELLIS_FORMAT_Q8_0;
}

int trellis_int16_fast(void) {
    static int fast = -1;
    if (fast < 0) {
#if defined(__x86_64__) || defined(_M_X64)
        __builtin_cpu_init();
        fast = trellis_level_available(TRELLIS_LEVEL_AVX512) && __builtin_cpu_supports("avx512vnni");
#else
        fast = 0;
#endif
    }
    return fast;
}

size_t trellis_interleaved_tile_bytes(int format) {
    switch (format) {
    case TRELLIS_FORMAT_Q4_0: return 256 + 32;
    case TRELLIS_FORMAT_Q4_1: return 256 + 64;
    case TRELLIS_FORMAT_Q8_0: return 512 + 32;
    default: return 0;
    }
}

size_t trellis_interleaved_bytes(int format, int64_t rows, int64_t cols) {
    if (!trellis_interleaved_supports(format) || rows < 0 || cols <= 0 || cols % TRELLIS_BLOCK) return 0;
    const int64_t groups = (rows + GROUP_ROWS - 1) / GROUP_ROWS;
    return (size_t)groups * (size_t)(cols / TRELLIS_BLOCK) * trellis_interleaved_tile_bytes(format);
}

/// Weight (r, k) of a block as the integer the product multiplies: the nibble (Q4) or int8 (Q8_0).
static int block_value(int format, const uint8_t *block, int k) {
    if (format == TRELLIS_FORMAT_Q8_0) return (int8_t)block[2 + k];
    const uint8_t *qs = block + (format == TRELLIS_FORMAT_Q4_1 ? 4 : 2);
    return k < 16 ? qs[k] & 15 : qs[k - 16] >> 4;
}

void trellis_interleave_weights(int format, const void *w, size_t w_row_bytes, int64_t rows,
                                int64_t cols, int64_t g0, int64_t g1, void *out) {
    const size_t tile = trellis_interleaved_tile_bytes(format);
    const size_t block = format == TRELLIS_FORMAT_Q4_1 ? TRELLIS_Q4_1_BYTES
                       : format == TRELLIS_FORMAT_Q4_0 ? TRELLIS_Q4_0_BYTES : TRELLIS_Q8_0_BYTES;
    const int64_t blocks = cols / TRELLIS_BLOCK;
    for (int64_t g = g0; g < g1; g++) {
        for (int64_t b = 0; b < blocks; b++) {
            uint8_t *t = (uint8_t *)out + ((size_t)g * (size_t)blocks + (size_t)b) * tile;
            memset(t, 0, tile);
            const size_t values = format == TRELLIS_FORMAT_Q8_0 ? 512 : 256;
            for (int r = 0; r < GROUP_ROWS; r++) {
                const int64_t row = g * GROUP_ROWS + r;
                if (row >= rows) break;   // padding rows: zero weights and scales
                const uint8_t *src = (const uint8_t *)w + (size_t)row * w_row_bytes + (size_t)b * block;
                memcpy(t + values + 2 * r, src, 2);                               // d
                if (format == TRELLIS_FORMAT_Q4_1) memcpy(t + values + 32 + 2 * r, src + 2, 2);  // m
                for (int k = 0; k < TRELLIS_BLOCK; k++) {
                    const int v = block_value(format, src, k);
                    // Pair register p = k / 2 holds (w[r][2p], w[r][2p + 1]) as 16-bit words
                    // 2r and 2r + 1.
                    const int p = k / 2, word = 2 * r + (k & 1);
                    if (format == TRELLIS_FORMAT_Q8_0) {
                        t[32 * p + word] = (uint8_t)(int8_t)v;
                    } else {
                        // Chunk p / 2, byte `word`: pair 2c in the low nibble, 2c + 1 in the high.
                        uint8_t *byte = t + 32 * (p / 2) + word;
                        *byte |= (uint8_t)(p % 2 == 0 ? v : v << 4);
                    }
                }
            }
        }
    }
}

// ---- activations ------------------------------------------------------------------------

size_t trellis_int16_row_bytes(int64_t cols) {
    if (cols <= 0 || cols % TRELLIS_BLOCK) return 0;
    const size_t blocks = (size_t)(cols / TRELLIS_BLOCK);
    return (blocks * 72 + 63) / 64 * 64;
}

void trellis_quantize_activations_int16_scalar(const float *x, int64_t ldx, int64_t n, int64_t cols,
                                               void *xq) {
    const size_t row_bytes = trellis_int16_row_bytes(cols);
    const int64_t blocks = cols / TRELLIS_BLOCK;
    for (int64_t i = 0; i < n; i++) {
        uint8_t *out = (uint8_t *)xq + (size_t)i * row_bytes;
        float *scales = (float *)(out + blocks * 64), *sums = scales + blocks;
        for (int64_t b = 0; b < blocks; b++) {
            const float *v = x + i * ldx + b * TRELLIS_BLOCK;
            float amax = 0, sum = 0;
            for (int j = 0; j < TRELLIS_BLOCK; j++) {
                const float a = fabsf(v[j]);
                if (a > amax) amax = a;
                sum += v[j];
            }
            const float inverse = amax > 0 ? 32767.0f / amax : 0.0f;
            int16_t q[TRELLIS_BLOCK];
            for (int j = 0; j < TRELLIS_BLOCK; j++) {
                long r = lrintf(v[j] * inverse);
                q[j] = (int16_t)(r > 32767 ? 32767 : r < -32767 ? -32767 : r);
            }
            memcpy(out + b * 64, q, sizeof q);
            scales[b] = amax / 32767.0f;
            sums[b] = sum;
        }
    }
}

void trellis_quantize_activations_int16(int level, const float *x, int64_t ldx, int64_t n,
                                        int64_t cols, void *xq) {
    if (trellis_int16_row_bytes(cols) == 0 || n <= 0) return;
#if defined(__x86_64__) || defined(_M_X64)
    if (level != TRELLIS_LEVEL_SCALAR && trellis_level_available(TRELLIS_LEVEL_AVX512)) {
        trellis_quantize_activations_int16_avx512(x, ldx, n, cols, xq);
        return;
    }
#endif
    (void)level;
    trellis_quantize_activations_int16_scalar(x, ldx, n, cols, xq);
}

// ---- scalar twin ------------------------------------------------------------------------

/// The integer dot of tile row r with activation block q (32 int16): exact in int32.
static int32_t tile_dot(int format, const uint8_t *t, int r, const int16_t *q) {
    int32_t s = 0;
    for (int p = 0; p < PAIRS; p++) {
        for (int e = 0; e < 2; e++) {
            const int word = 2 * r + e;
            int v;
            if (format == TRELLIS_FORMAT_Q8_0) {
                v = (int8_t)t[32 * p + word];
            } else {
                const uint8_t byte = t[32 * (p / 2) + word];
                v = p % 2 == 0 ? byte & 15 : byte >> 4;
            }
            s += v * q[2 * p + e];
        }
    }
    return s;
}

void trellis_matmul_interleaved_scalar(int format, const void *wi, int64_t rows, int64_t cols,
                                       const void *xq, int64_t n, float *y, int64_t ldy,
                                       int64_t g0, int64_t g1, int accumulate) {
    const size_t tile = trellis_interleaved_tile_bytes(format), xrb = trellis_int16_row_bytes(cols);
    const size_t values = format == TRELLIS_FORMAT_Q8_0 ? 512 : 256;
    const int64_t blocks = cols / TRELLIS_BLOCK;
    for (int64_t g = g0; g < g1; g++) {
        for (int64_t i = 0; i < n; i++) {
            const uint8_t *xrow = (const uint8_t *)xq + (size_t)i * xrb;
            const float *scales = (const float *)(xrow + blocks * 64), *sums = scales + blocks;
            float acc[GROUP_ROWS] = {0};
            for (int64_t b = 0; b < blocks; b++) {
                const uint8_t *t = (const uint8_t *)wi + ((size_t)g * (size_t)blocks + (size_t)b) * tile;
                int16_t q[TRELLIS_BLOCK];
                memcpy(q, xrow + b * 64, sizeof q);
                for (int r = 0; r < GROUP_ROWS; r++) {
                    const float d = trellis_half_to_float(trellis_load_u16(t + values + 2 * r));
                    // Same operations in the same order as the vector kernel.
                    acc[r] = fmaf((float)tile_dot(format, t, r, q), d * scales[b], acc[r]);
                    if (format == TRELLIS_FORMAT_Q4_1) {
                        const float m = trellis_half_to_float(trellis_load_u16(t + values + 32 + 2 * r));
                        acc[r] = fmaf(m, sums[b], acc[r]);
                    } else if (format == TRELLIS_FORMAT_Q4_0) {
                        acc[r] = fmaf(d * -8.0f, sums[b], acc[r]);
                    }
                }
            }
            for (int r = 0; r < GROUP_ROWS && g * GROUP_ROWS + r < rows; r++) {
                float *out = y + i * ldy + g * GROUP_ROWS + r;
                *out = accumulate ? *out + acc[r] : acc[r];
            }
        }
    }
}

void trellis_matmul_interleaved(int level, int format, const void *wi, int64_t rows, int64_t cols,
                                const void *xq, int64_t n, float *y, int64_t ldy,
                                int64_t g0, int64_t g1, int accumulate) {
    if (!trellis_interleaved_supports(format) || n <= 0 || g0 >= g1) return;
#if defined(__x86_64__) || defined(_M_X64)
    if (level != TRELLIS_LEVEL_SCALAR && trellis_int16_fast()) {
        trellis_matmul_interleaved_vnni(format, wi, rows, cols, xq, n, y, ldy, g0, g1, accumulate);
        return;
    }
#endif
    trellis_matmul_interleaved_scalar(format, wi, rows, cols, xq, n, y, ldy, g0, g1, accumulate);
}
