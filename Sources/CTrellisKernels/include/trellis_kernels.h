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

// ---- Int16 activations on row-interleaved weights ----------------------------------------
// The default product for Q4_0, Q4_1 and Q8_0 weights on CPUs with AVX-512 VNNI. The weights
// are copied once into an interleaved layout; each activation row is quantized per 32-element
// block to int16 (d = max|x| / 32767, q = round(x / d), |q| <= 32767) with the block's float
// sum, and every block product runs exactly on integers (vpdpwssd), then
//     y[r] += float(sum_k q_k * w_int[r, k]) * (d_w[r] * d_x) + m[r] * sum_x
// (m = the Q4_1 min; -8 d_w for Q4_0; no term for Q8_0). The only error against the float
// product is the rounding of x, at most max|x_b| / 65534 per element: 256 times smaller than
// int8 activations, well inside the runtime's reference tolerance.
//
// Interleaved weights: rows in groups of 16 (the last group padded with zero rows); group g's
// tiles, one per 32-column block, are contiguous, tile (g, b) at
// (g * blocks + b) * trellis_interleaved_tile_bytes(format). In a tile, "pair register" p < 16
// holds, as 16-bit words 2r and 2r + 1, the integer weights (r, 2p) and (r, 2p + 1) of row r:
//   Q4_0 / Q4_1 (288 / 320 bytes): 8 chunks of 32 bytes; byte j of chunk c holds word j of pair
//     register 2c in its low nibble and of 2c + 1 in its high nibble (nibbles 0..15); then 16
//     halves d; then (Q4_1) 16 halves m.
//   Q8_0 (544 bytes): 16 chunks of 32 int8, chunk p = pair register p's words; then 16 halves d.
// Int16 activation rows: trellis_int16_row_bytes(cols) bytes each: blocks x 64 bytes of int16,
// then blocks floats d_x, then blocks float sums.

/// 1 if `format` has an interleaved int16 product (Q4_0, Q4_1, Q8_0).
int trellis_interleaved_supports(int format);
/// 1 if the int16 product runs on AVX-512 VNNI; 0 means the scalar twin (correct but slow).
int trellis_int16_fast(void);
/// Bytes of the interleaved copy of a rows x cols matrix; 0 if unsupported or cols % 32 != 0.
size_t trellis_interleaved_bytes(int format, int64_t rows, int64_t cols);
/// Writes row groups [g0, g1) of the interleaved copy of W (rows x cols, rows w_row_bytes apart)
/// into `out` (trellis_interleaved_bytes long; groups may be written by different threads).
void trellis_interleave_weights(int format, const void *w, size_t w_row_bytes, int64_t rows,
                                int64_t cols, int64_t g0, int64_t g1, void *out);
/// Bytes of one int16 activation row of `cols` (a multiple of 32), 0 otherwise.
size_t trellis_int16_row_bytes(int64_t cols);
/// Quantizes rows x[i * ldx ...] (i < n) into `xq` (n * trellis_int16_row_bytes). `level`
/// SCALAR uses plain C; any other level the fastest code the CPU has (same values and scales).
void trellis_quantize_activations_int16(int level, const float *x, int64_t ldx, int64_t n,
                                        int64_t cols, void *xq);
/// Y[i, r] (+)= row i of xq . W[r, :] for i < n and every row r of groups [g0, g1) (r < rows).
/// `level` SCALAR runs the scalar twin (same result bit for bit); any other level the VNNI
/// kernel when trellis_int16_fast(), else the twin.
void trellis_matmul_interleaved(int level, int format, const void *wi, int64_t rows, int64_t cols,
                                const void *xq, int64_t n, float *y, int64_t ldy,
                                int64_t g0, int64_t g1, int accumulate);

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
