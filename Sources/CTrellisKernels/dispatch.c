// Picks an implementation level at run time (CPU feature checks, no global -m flags), builds
// one operation table per level once, and routes the public entry points to it.

#include "internal.h"
#include <pthread.h>
#include <stdlib.h>

static trellis_ops tables[4];
static int best_level = TRELLIS_LEVEL_SCALAR;
static int available[4];
static pthread_once_t tables_once = PTHREAD_ONCE_INIT;

static int cpu_has_level(int level) {
    switch (level) {
    case TRELLIS_LEVEL_SCALAR:
    case TRELLIS_LEVEL_VECTOR128:
        return 1;
#if defined(__x86_64__) || defined(_M_X64)
    case TRELLIS_LEVEL_AVX2:
        __builtin_cpu_init();
        return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
               __builtin_cpu_supports("f16c");
    case TRELLIS_LEVEL_AVX512:
        __builtin_cpu_init();
        return cpu_has_level(TRELLIS_LEVEL_AVX2) && __builtin_cpu_supports("avx512f") &&
               __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl");
#endif
    default:
        return 0;
    }
}

static void build_tables(void) {
    trellis_fill_scalar(&tables[TRELLIS_LEVEL_SCALAR]);
    tables[TRELLIS_LEVEL_VECTOR128] = tables[TRELLIS_LEVEL_SCALAR];
    trellis_fill_vector128(&tables[TRELLIS_LEVEL_VECTOR128]);
    best_level = TRELLIS_LEVEL_VECTOR128;
#if defined(__x86_64__) || defined(_M_X64)
    tables[TRELLIS_LEVEL_AVX2] = tables[TRELLIS_LEVEL_VECTOR128];
    tables[TRELLIS_LEVEL_AVX512] = tables[TRELLIS_LEVEL_VECTOR128];
    if (cpu_has_level(TRELLIS_LEVEL_AVX2)) {
        trellis_fill_avx2(&tables[TRELLIS_LEVEL_AVX2]);
        tables[TRELLIS_LEVEL_AVX512] = tables[TRELLIS_LEVEL_AVX2];
        best_level = TRELLIS_LEVEL_AVX2;
    }
    if (cpu_has_level(TRELLIS_LEVEL_AVX512)) {
        trellis_fill_avx512(&tables[TRELLIS_LEVEL_AVX512]);
        best_level = TRELLIS_LEVEL_AVX512;
    }
#else
    tables[TRELLIS_LEVEL_AVX2] = tables[TRELLIS_LEVEL_VECTOR128];
    tables[TRELLIS_LEVEL_AVX512] = tables[TRELLIS_LEVEL_VECTOR128];
#endif
    for (int level = 0; level < 4; level++) available[level] = cpu_has_level(level);
    const char *forced = getenv("TRELLIS_KERNEL_LEVEL");
    if (forced && forced[0] >= '0' && forced[0] <= '3' && forced[1] == 0) {
        int level = forced[0] - '0';
        if (level < best_level) best_level = level;
    }
}

int trellis_level_available(int level) {
    return level >= TRELLIS_LEVEL_SCALAR && level <= TRELLIS_LEVEL_AVX512 && cpu_has_level(level);
}

int trellis_best_level(void) {
    pthread_once(&tables_once, build_tables);
    return best_level;
}

const char *trellis_level_name(int level) {
    switch (level) {
    case TRELLIS_LEVEL_SCALAR: return "scalar";
    case TRELLIS_LEVEL_VECTOR128: return "vector128";
    case TRELLIS_LEVEL_AVX2: return "avx2";
    case TRELLIS_LEVEL_AVX512: return "avx512";
    default: return "unknown";
    }
}

const trellis_ops *trellis_ops_for(int level) {
    pthread_once(&tables_once, build_tables);
    // An unavailable level falls back to the best one that runs here, never to illegal code.
    if (level < 0 || level > TRELLIS_LEVEL_AVX512 || !available[level]) level = best_level;
    return &tables[level];
}

void trellis_matmul_rows(int level, int format, const void *w, size_t w_row_bytes, int64_t cols,
                         const float *x, int64_t ldx, int64_t n,
                         float *y, int64_t ldy, int64_t r0, int64_t r1, int accumulate) {
    if (n <= 0 || r1 <= r0) return;
    trellis_ops_for(level)->matmul(format, w, w_row_bytes, cols, x, ldx, n, y, ldy, r0, r1, accumulate);
}

void trellis_dequantize_row(int level, int format, const void *src, float *dst, int64_t count) {
    if (count <= 0) return;
    trellis_ops_for(level)->dequantize_row(format, src, dst, count);
}

void trellis_rms_norm(int level, const float *x, const float *weight, float eps, float *out,
                      int64_t count) {
    if (count <= 0) return;
    trellis_ops_for(level)->rms_norm(x, weight, eps, out, count);
}

void trellis_softmax(int level, float *x, int64_t count) {
    if (count <= 0) return;
    trellis_ops_for(level)->softmax(x, count);
}

void trellis_log_softmax(int level, float *x, int64_t count) {
    if (count <= 0) return;
    trellis_ops_for(level)->log_softmax(x, count);
}

void trellis_silu_mul(int level, const float *gate, const float *up, float *out, int64_t count) {
    if (count <= 0) return;
    trellis_ops_for(level)->silu_mul(gate, up, out, count);
}

void trellis_add(int level, float *y, const float *x, int64_t count) {
    if (count <= 0) return;
    trellis_ops_for(level)->add(y, x, count);
}

void trellis_axpy(int level, float *y, float a, const float *x, int64_t count) {
    if (count <= 0) return;
    trellis_ops_for(level)->axpy(y, a, x, count);
}

void trellis_scale(int level, float *x, float a, int64_t count) {
    if (count <= 0) return;
    trellis_ops_for(level)->scale(x, a, count);
}

float trellis_dot(int level, const float *x, const float *y, int64_t count) {
    if (count <= 0) return 0;
    return trellis_ops_for(level)->dot(x, y, count);
}
