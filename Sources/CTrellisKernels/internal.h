#ifndef TRELLIS_KERNELS_INTERNAL_H
#define TRELLIS_KERNELS_INTERNAL_H
// Shared between the implementation levels: the operation table each level fills in, and
// the block layouts (see trellis_kernels.h for the format definitions).

#include "trellis_kernels.h"
#include <string.h>

#define TRELLIS_BLOCK 32
#define TRELLIS_Q4_0_BYTES 18
#define TRELLIS_Q4_1_BYTES 20
#define TRELLIS_Q8_0_BYTES 34

// Rows are short (360 bytes for a Q4_1 row of 576) and several are read side by side, so
// each row is too short a stream for the hardware prefetcher to train on: the SIMD kernels
// prefetch the bytes this far ahead of the row group being read, sweeping linearly. Measured
// on a 200000x576 matrix (one thread, EPYC): Q8_0 n=1 read 10 GB/s without it, 39 GB/s with
// 8 KiB; Q4_1 went from 19 to 31 GMAC/s (as fast as when cache-resident).
#ifndef TRELLIS_PREFETCH_BYTES
#define TRELLIS_PREFETCH_BYTES 8192
#endif

typedef void (*trellis_matmul_fn)(int format, const void *w, size_t w_row_bytes, int64_t cols,
                                  const float *x, int64_t ldx, int64_t n,
                                  float *y, int64_t ldy, int64_t r0, int64_t r1, int accumulate);

/// One implementation level: every entry is non-NULL once the table is built.
typedef struct {
    trellis_matmul_fn matmul;
    void (*dequantize_row)(int format, const void *src, float *dst, int64_t count);
    void (*rms_norm)(const float *x, const float *weight, float eps, float *out, int64_t count);
    void (*softmax)(float *x, int64_t count);
    void (*log_softmax)(float *x, int64_t count);
    void (*silu_mul)(const float *gate, const float *up, float *out, int64_t count);
    void (*add)(float *y, const float *x, int64_t count);
    void (*axpy)(float *y, float a, const float *x, int64_t count);
    void (*scale)(float *x, float a, int64_t count);
    float (*dot)(const float *x, const float *y, int64_t count);
} trellis_ops;

// Each level overwrites the entries it implements; entries it leaves alone keep the level
// below (the scalar table is complete).
void trellis_fill_scalar(trellis_ops *ops);
void trellis_fill_vector128(trellis_ops *ops);
#if defined(__x86_64__) || defined(_M_X64)
void trellis_fill_avx2(trellis_ops *ops);
void trellis_fill_avx512(trellis_ops *ops);
#endif

const trellis_ops *trellis_ops_for(int level);

// Int16 activations on interleaved weights (interleaved_int16.c; VNNI in kernels_avx512_int16.c).
size_t trellis_interleaved_tile_bytes(int format);
void trellis_quantize_activations_int16_scalar(const float *x, int64_t ldx, int64_t n, int64_t cols, void *xq);
void trellis_matmul_interleaved_scalar(int format, const void *wi, int64_t rows, int64_t cols,
                                       const void *xq, int64_t n, float *y, int64_t ldy,
                                       int64_t g0, int64_t g1, int accumulate);
#if defined(__x86_64__) || defined(_M_X64)
void trellis_quantize_activations_int16_avx512(const float *x, int64_t ldx, int64_t n, int64_t cols, void *xq);
void trellis_matmul_interleaved_vnni(int format, const void *wi, int64_t rows, int64_t cols,
                                     const void *xq, int64_t n, float *y, int64_t ldy,
                                     int64_t g0, int64_t g1, int accumulate);
#endif

static inline uint16_t trellis_load_u16(const void *p) {
    uint16_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

#endif
