#ifndef TRELLIS_KERNELS_H
#define TRELLIS_KERNELS_H
// SIMD kernels for matrix products on quantized weights, small vector ops, and a persistent
// worker pool. The Swift module TrellisKernels is the documented surface; this header is its floor.
//
// Convention (stated once): every matrix is row-major. A weight matrix W is rows x cols and is
// quantized by blocks of 32 consecutive elements along a row (cols). A product computes
//     Y[i, r] (+)= sum_k X[i, k] * W[r, k]          i in [0, n), r in [r0, r1)
// i.e. Y[n x rows] = X[n x cols] . W^T, element (i, r) stored at y[i * ldy + r] and input
// element (i, k) at x[i * ldx + k]. Activations are float32 everywhere.
//
// Formats use the GGML type ids and block layouts (little endian, f16 = IEEE half):
//   F32  (0): float per element.            F16  (1): half per element.
//   Q4_0 (2): 18-byte block {half d; u8 qs[16]}: element j < 16 = d*((qs[j] & 15) - 8),
//             element j + 16 = d*((qs[j] >> 4) - 8).
//   Q4_1 (3): 20-byte block {half d; half m; u8 qs[16]}: element j = d*(qs[j] & 15) + m,
//             element j + 16 = d*(qs[j] >> 4) + m.
//   Q8_0 (8): 34-byte block {half d; i8 qs[32]}: element j = d*qs[j].
// Quantized formats need cols % 32 == 0; F32 and F16 take any cols.

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum {
    TRELLIS_FORMAT_F32 = 0,
    TRELLIS_FORMAT_F16 = 1,
    TRELLIS_FORMAT_Q4_0 = 2,
    TRELLIS_FORMAT_Q4_1 = 3,
    TRELLIS_FORMAT_Q8_0 = 8,
};

// Implementation levels. SCALAR is the plain reference every other level is tested against.
// VECTOR128 is portable 128-bit code (GCC/clang vector extensions: SSE2 on x86-64, NEON on
// aarch64). AVX2 needs AVX2+FMA+F16C; AVX512 needs AVX-512 F/BW/VL (+FMA, F16C).
enum {
    TRELLIS_LEVEL_BEST = -1,
    TRELLIS_LEVEL_SCALAR = 0,
    TRELLIS_LEVEL_VECTOR128 = 1,
    TRELLIS_LEVEL_AVX2 = 2,
    TRELLIS_LEVEL_AVX512 = 3,
};

/// 1 if `level` runs on this CPU (SCALAR and VECTOR128 always do).
int trellis_level_available(int level);
/// The fastest level available on this CPU (what TRELLIS_LEVEL_BEST selects), unless the
/// environment variable TRELLIS_KERNEL_LEVEL (0..3) asks for a lower one.
int trellis_best_level(void);
/// A short name for a level ("scalar", "vector128", "avx2", "avx512").
const char *trellis_level_name(int level);

/// Bytes of one row of `cols` elements in `format`; 0 if the format is unknown or cols is not
/// a multiple of the block size where one is needed.
size_t trellis_row_bytes(int format, int64_t cols);

/// IEEE half to float (exact, including subnormals, infinities and NaN).
float trellis_half_to_float(uint16_t h);
/// Float to IEEE half, rounding to nearest even (overflow gives infinity; NaN stays NaN).
uint16_t trellis_float_to_half(float f);

/// Y[i, r] (+)= X[i, :] . W[r, :] for i < n and r0 <= r < r1 (see the convention above).
/// `w` points at row 0 of W; row r starts at w + r * w_row_bytes. accumulate != 0 adds into Y.
void trellis_matmul_rows(int level, int format, const void *w, size_t w_row_bytes, int64_t cols,
                         const float *x, int64_t ldx, int64_t n,
                         float *y, int64_t ldy, int64_t r0, int64_t r1, int accumulate);

/// dst[0..<count] = the first `count` elements of a row in `format` starting at `src`.
void trellis_dequantize_row(int level, int format, const void *src, float *dst, int64_t count);

// Vector ops. `count` elements; in/out pointers may be equal (in place) but must not overlap
// otherwise.
/// out = x / sqrt(mean(x^2) + eps) * weight.
void trellis_rms_norm(int level, const float *x, const float *weight, float eps, float *out,
                      int64_t count);
/// x = softmax(x) (max-subtracted, so safe for any finite input). count >= 1.
void trellis_softmax(int level, float *x, int64_t count);
/// x = log(softmax(x)). count >= 1.
void trellis_log_softmax(int level, float *x, int64_t count);
/// out = silu(gate) * up, silu(g) = g / (1 + exp(-g)).
void trellis_silu_mul(int level, const float *gate, const float *up, float *out, int64_t count);
/// y += x.
void trellis_add(int level, float *y, const float *x, int64_t count);
/// y += a * x.
void trellis_axpy(int level, float *y, float a, const float *x, int64_t count);
/// x *= a.
void trellis_scale(int level, float *x, float a, int64_t count);
/// sum x[i] * y[i].
float trellis_dot(int level, const float *x, const float *y, int64_t count);

// ---- Int8 activations ------------------------------------------------------------------
// A second way to run a product on Q4_0, Q4_1 and Q8_0 weights: each activation row is first
// quantized per 32-element block to int8 with a float scale (d = max|x| / 127, q = round(x / d),
// as GGML's Q8 activations), and the block dot products run on integers (AVX-512 VNNI vpdpbusd:
// 64 multiply-adds per instruction), scaled once per block. Error: |x . w - result| <=
// sum over blocks of (d_x / 2) * sum|w - c| (rounding of x; c = m + 8 d for Q4_1, else 0) plus
// float rounding. The float path stays the reference; callers choose per product.
//
// Quantized activations ("packed rows"): row i of n is trellis_int8_row_bytes(cols) bytes at
// xq + i * trellis_int8_row_bytes(cols); blocks are grouped by four, each group 256 bytes:
//   bytes   0..63   int8 elements 0..15 of the group's blocks 0..3 (16 bytes each),
//   bytes  64..127  int8 elements 16..31 of the same blocks,
//   bytes 128..191  float d of block k in lanes 4k..4k+3,
//   bytes 192..255  float sum of block k's float inputs in lane 4k (other lanes 0).
// Blocks past the row's end (the last group may be partial) are all zero.

/// Bytes of one packed row of `cols` activations (cols % 32 == 0), 0 otherwise.
size_t trellis_int8_row_bytes(int64_t cols);
/// 1 if the int8 product runs on this CPU's vector integer dot instructions (AVX-512 VNNI);
/// 0 means trellis_matmul_rows_int8 would run the scalar twin (correct but slow).
int trellis_int8_fast(void);
/// 1 if `format` has an int8 product (Q4_0, Q4_1, Q8_0).
int trellis_int8_supports(int format);
/// Packs rows x[i * ldx ...] (i < n, cols % 32 == 0) into `xq` (n * trellis_int8_row_bytes).
/// `level` SCALAR uses plain C; any other level the fastest code the CPU has (same bytes).
void trellis_quantize_activations(int level, const float *x, int64_t ldx, int64_t n, int64_t cols,
                                  void *xq);
/// Y[i, r] (+)= dot(packed row i, W[r, :]) for i < n, r0 <= r < r1 (format in Q4_0/Q4_1/Q8_0).
/// `level` SCALAR runs the scalar twin; any other level the VNNI kernel when
/// trellis_int8_fast(), else the scalar twin.
void trellis_matmul_rows_int8(int level, int format, const void *w, size_t w_row_bytes,
                              int64_t cols, const void *xq, int64_t n,
                              float *y, int64_t ldy, int64_t r0, int64_t r1, int accumulate);

// ---- Worker pool -------------------------------------------------------------------------
// A fixed set of persistent threads. The calling thread takes part, so a pool of `threads`
// participants starts threads - 1 workers. Idle workers spin briefly, then sleep on a
// condition variable. One job runs at a time; a job submitted while another is running (from
// another thread, or from inside a task) runs serially on the caller instead of waiting.

typedef struct trellis_pool trellis_pool;
/// Cores this process may run on (its affinity mask on Linux), at least 1.
int trellis_active_cores(void);
/// A task body: `task` in [0, tasks), `worker` in [0, threads) is the participant running it.
typedef void (*trellis_task_fn)(void *context, int64_t task, int worker);

/// A pool with `threads` >= 1 participants (clamped to [1, 256]); spin_us is how many
/// microseconds an idle worker polls before it sleeps (<= 0: 100). NULL if threads cannot start.
trellis_pool *trellis_pool_create(int threads, int64_t spin_us);
void trellis_pool_destroy(trellis_pool *pool);
int trellis_pool_threads(const trellis_pool *pool);
/// Runs fn(context, t, worker) for every t in [0, tasks) exactly once; returns when all ran.
/// Tasks are handed out one at a time from a shared counter (dynamic balance).
void trellis_pool_run(trellis_pool *pool, trellis_task_fn fn, void *context, int64_t tasks);

/// Mean wall time of one job whose `threads` tasks must all run at once (each waits for the
/// others): the round trip of waking every worker and collecting them. For benchmarks.
double trellis_pool_dispatch_seconds(trellis_pool *pool, int64_t jobs);

/// trellis_matmul_rows over all rows [0, rows) of W, rows split into contiguous chunks
/// across the pool (pool may be NULL: runs on the caller).
void trellis_pool_matmul(trellis_pool *pool, int level, int format, const void *w,
                         size_t w_row_bytes, int64_t rows, int64_t cols,
                         const float *x, int64_t ldx, int64_t n,
                         float *y, int64_t ldy, int accumulate);

// ---- Paged attention (page_attention.c) ---------------------------------------------------
// Decode attention of `heads` (1..4) query heads of one KV group over paged keys and values:
// position p lives in pages[p / page_size] at slot p % page_size; keys transposed
// [head_dim x page_size] at key_offset floats into the page, values [page_size x head_dim] at
// value_offset. Both return 1 when done, 0 when the level (or the shape) has no kernel here
// and the caller must use its own version (only AVX2 and AVX-512 levels have one).

/// scores[h * score_stride + p] = scale * queries[h * head_dim ..] . key_p for p < length.
int trellis_page_attention_scores(int level, const float *queries, int64_t heads, int64_t head_dim,
                                  const float *const *pages, int64_t key_offset, int64_t page_size,
                                  int64_t length, float scale, float *scores, int64_t score_stride);
/// out[h * head_dim + d] = sum over p < length of weights[h * weight_stride + p] * value_p[d].
int trellis_page_attention_values(int level, const float *weights, int64_t weight_stride, int64_t heads,
                                  int64_t head_dim, const float *const *pages, int64_t value_offset,
                                  int64_t page_size, int64_t length, float *out);

#ifdef __cplusplus
}
#endif
#endif
