// Grouped-query attention over paged keys and values for short appends (decode, beam steps),
// AVX2 and AVX-512 levels only, compiled through function-level target attributes and called
// after a run-time CPU check. Lower levels return 0 and the caller runs its portable version
// (GroupedPageAttention in TrellisModel).
//
// Up to four query heads of one KV group run together: every key or value vector loaded from
// a page feeds all of them, and each head keeps several accumulators (two position tiles for
// scores; two, or with AVX-512 four, dimension chunks for values), so a loop step issues up to
// 16 independent FMAs instead of one dependent chain. Partial tiles (page or head sizes that are
// not a multiple of the lane count) use masked loads and stores. A page spans every layer, so
// one layer's block of the next page is far away: the AVX-512 loops prefetch it while the
// current page runs (attention of one SmolLM2 decode step, 8 sequences at 160 positions, one
// thread, shared machine: 1.09-1.26 ms without, 0.81 ms with).

#include "internal.h"

#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>

#define PA512 __attribute__((target("avx512f,avx512bw,avx512vl,avx2,fma")))
#define PA256 __attribute__((target("avx2,fma")))
#define INLINE static inline __attribute__((always_inline))

#define MAX_HEADS 4

static inline int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }

// ---- AVX-512 ---------------------------------------------------------------------------

INLINE PA512 __mmask16 mask16(int64_t n) {
    return n >= 16 ? (__mmask16)0xFFFF : n <= 0 ? (__mmask16)0 : (__mmask16)((1u << n) - 1);
}

/// One page: s[h * stride + j] = scale * q_h . k_j for j < n, keys transposed [hd x ps].
/// `next` is the following page's key block (or this one): its rows are prefetched, two cache
/// lines per dimension, while this page is computed (pages are far apart in memory).
INLINE PA512 void avx512_scores_page(const int heads, const float *q, int64_t hd, const float *keys,
                                     const float *next, int64_t ps, int64_t n, float scale, float *s,
                                     int64_t stride) {
    const __m512 vscale = _mm512_set1_ps(scale);
    int64_t j = 0;
    for (; j < n; j += 32) {
        const __mmask16 m0 = mask16(n - j), m1 = mask16(n - j - 16);
        __m512 a0[MAX_HEADS], a1[MAX_HEADS];
        for (int h = 0; h < heads; h++) a0[h] = a1[h] = _mm512_setzero_ps();
        const float *k = keys + j;
        for (int64_t d = 0; d < hd; d++, k += ps) {
            if (j == 0) {
                _mm_prefetch((const char *)(next + d * ps), _MM_HINT_T0);
                _mm_prefetch((const char *)(next + d * ps + 16), _MM_HINT_T0);
            }
            const __m512 k0 = _mm512_maskz_loadu_ps(m0, k), k1 = _mm512_maskz_loadu_ps(m1, k + 16);
            for (int h = 0; h < heads; h++) {
                const __m512 b = _mm512_set1_ps(q[h * hd + d]);
                a0[h] = _mm512_fmadd_ps(b, k0, a0[h]);
                a1[h] = _mm512_fmadd_ps(b, k1, a1[h]);
            }
        }
        for (int h = 0; h < heads; h++) {
            _mm512_mask_storeu_ps(s + h * stride + j, m0, _mm512_mul_ps(a0[h], vscale));
            _mm512_mask_storeu_ps(s + h * stride + j + 16, m1, _mm512_mul_ps(a1[h], vscale));
        }
    }
}

INLINE PA512 void avx512_scores(const int heads, const float *q, int64_t hd, const float *const *pages,
                                int64_t key_offset, int64_t ps, int64_t length, float scale, float *s,
                                int64_t stride) {
    for (int64_t p = 0, page = 0; p < length; p += ps, page++) {
        const float *keys = pages[page] + key_offset;
        const float *next = p + ps < length ? pages[page + 1] + key_offset : keys;
        avx512_scores_page(heads, q, hd, keys, next, ps, min64(ps, length - p), scale, s + p, stride);
    }
}

/// out[h * hd + d] = sum_p w[h * wstride + p] * v_p[d], 64 dimensions (a whole value row of a
/// 64-wide head) at a time over all pages, so each row is read once per pass; the next page's
/// rows are prefetched alongside.
INLINE PA512 void avx512_values(const int heads, const float *w, int64_t wstride, int64_t hd,
                                const float *const *pages, int64_t value_offset, int64_t ps, int64_t length,
                                float *out) {
    for (int64_t d = 0; d < hd; d += 64) {
        __mmask16 m[4];
        for (int c = 0; c < 4; c++) m[c] = mask16(hd - d - 16 * c);
        __m512 a[MAX_HEADS][4];
        for (int h = 0; h < heads; h++)
            for (int c = 0; c < 4; c++) a[h][c] = _mm512_setzero_ps();
        for (int64_t p = 0, page = 0; p < length; p += ps, page++) {
            const float *v = pages[page] + value_offset + d;
            const float *next = p + ps < length ? pages[page + 1] + value_offset + d : v;
            const int64_t n = min64(ps, length - p);
            for (int64_t j = p; j < p + n; j++, v += hd, next += hd) {
                _mm_prefetch((const char *)next, _MM_HINT_T0);
                for (int c = 1; c < 4; c++) _mm_prefetch((const char *)(next + 16 * c), _MM_HINT_T0);
                __m512 x[4];
                for (int c = 0; c < 4; c++) x[c] = _mm512_maskz_loadu_ps(m[c], v + 16 * c);
                for (int h = 0; h < heads; h++) {
                    const __m512 b = _mm512_set1_ps(w[h * wstride + j]);
                    for (int c = 0; c < 4; c++) a[h][c] = _mm512_fmadd_ps(b, x[c], a[h][c]);
                }
            }
        }
        for (int h = 0; h < heads; h++)
            for (int c = 0; c < 4; c++) _mm512_mask_storeu_ps(out + h * hd + d + 16 * c, m[c], a[h][c]);
    }
}

// ---- AVX2 ------------------------------------------------------------------------------

/// Lanes i < n set (all-ones), the rest clear, for maskload/maskstore.
INLINE PA256 __m256i mask8(int64_t n) {
    const int32_t c = (int32_t)(n < 0 ? 0 : n > 8 ? 8 : n);
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(c), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

INLINE PA256 void avx2_scores_page(const int heads, const float *q, int64_t hd, const float *keys,
                                   int64_t ps, int64_t n, float scale, float *s, int64_t stride) {
    const __m256 vscale = _mm256_set1_ps(scale);
    int64_t j = 0;
    for (; j < n; j += 16) {
        const __m256i m0 = mask8(n - j), m1 = mask8(n - j - 8);
        __m256 a0[MAX_HEADS], a1[MAX_HEADS];
        for (int h = 0; h < heads; h++) a0[h] = a1[h] = _mm256_setzero_ps();
        const float *k = keys + j;
        for (int64_t d = 0; d < hd; d++, k += ps) {
            const __m256 k0 = _mm256_maskload_ps(k, m0), k1 = _mm256_maskload_ps(k + 8, m1);
            for (int h = 0; h < heads; h++) {
                const __m256 b = _mm256_broadcast_ss(q + h * hd + d);
                a0[h] = _mm256_fmadd_ps(b, k0, a0[h]);
                a1[h] = _mm256_fmadd_ps(b, k1, a1[h]);
            }
        }
        for (int h = 0; h < heads; h++) {
            _mm256_maskstore_ps(s + h * stride + j, m0, _mm256_mul_ps(a0[h], vscale));
            _mm256_maskstore_ps(s + h * stride + j + 8, m1, _mm256_mul_ps(a1[h], vscale));
        }
    }
}

INLINE PA256 void avx2_scores(const int heads, const float *q, int64_t hd, const float *const *pages,
                              int64_t key_offset, int64_t ps, int64_t length, float scale, float *s,
                              int64_t stride) {
    for (int64_t p = 0, page = 0; p < length; p += ps, page++)
        avx2_scores_page(heads, q, hd, pages[page] + key_offset, ps, min64(ps, length - p), scale, s + p, stride);
}

INLINE PA256 void avx2_values(const int heads, const float *w, int64_t wstride, int64_t hd,
                              const float *const *pages, int64_t value_offset, int64_t ps, int64_t length,
                              float *out) {
    for (int64_t d = 0; d < hd; d += 16) {
        const __m256i m0 = mask8(hd - d), m1 = mask8(hd - d - 8);
        __m256 a0[MAX_HEADS], a1[MAX_HEADS];
        for (int h = 0; h < heads; h++) a0[h] = a1[h] = _mm256_setzero_ps();
        for (int64_t p = 0, page = 0; p < length; p += ps, page++) {
            const float *v = pages[page] + value_offset + d;
            const int64_t n = min64(ps, length - p);
            for (int64_t j = p; j < p + n; j++, v += hd) {
                const __m256 v0 = _mm256_maskload_ps(v, m0), v1 = _mm256_maskload_ps(v + 8, m1);
                for (int h = 0; h < heads; h++) {
                    const __m256 b = _mm256_broadcast_ss(w + h * wstride + j);
                    a0[h] = _mm256_fmadd_ps(b, v0, a0[h]);
                    a1[h] = _mm256_fmadd_ps(b, v1, a1[h]);
                }
            }
        }
        for (int h = 0; h < heads; h++) {
            _mm256_maskstore_ps(out + h * hd + d, m0, a0[h]);
            _mm256_maskstore_ps(out + h * hd + d + 8, m1, a1[h]);
        }
    }
}

// ---- entry points: one specialization per head count -----------------------------------

#define SPECIALIZE_SCORES(prefix, attr)                                                              \
    static attr void prefix##_scores_any(int heads, const float *q, int64_t hd, const float *const *pages, \
                                         int64_t ko, int64_t ps, int64_t length, float scale, float *s,   \
                                         int64_t stride) {                                                \
        switch (heads) {                                                                                  \
        case 1: prefix##_scores(1, q, hd, pages, ko, ps, length, scale, s, stride); break;               \
        case 2: prefix##_scores(2, q, hd, pages, ko, ps, length, scale, s, stride); break;               \
        case 3: prefix##_scores(3, q, hd, pages, ko, ps, length, scale, s, stride); break;               \
        default: prefix##_scores(4, q, hd, pages, ko, ps, length, scale, s, stride); break;              \
        }                                                                                                 \
    }                                                                                                     \
    static attr void prefix##_values_any(int heads, const float *w, int64_t ws, int64_t hd,              \
                                         const float *const *pages, int64_t vo, int64_t ps,               \
                                         int64_t length, float *out) {                                    \
        switch (heads) {                                                                                  \
        case 1: prefix##_values(1, w, ws, hd, pages, vo, ps, length, out); break;                        \
        case 2: prefix##_values(2, w, ws, hd, pages, vo, ps, length, out); break;                        \
        case 3: prefix##_values(3, w, ws, hd, pages, vo, ps, length, out); break;                        \
        default: prefix##_values(4, w, ws, hd, pages, vo, ps, length, out); break;                       \
        }                                                                                                 \
    }

SPECIALIZE_SCORES(avx512, PA512)
SPECIALIZE_SCORES(avx2, PA256)

/// The level these kernels run at for a requested level (-1 = best), or -1 when only the
/// caller's portable version applies.
static int page_attention_level(int level) {
    if (level < 0 || level > TRELLIS_LEVEL_AVX512 || !trellis_level_available(level)) level = trellis_best_level();
    return level >= TRELLIS_LEVEL_AVX2 ? level : -1;
}
#endif

int trellis_page_attention_scores(int level, const float *queries, int64_t heads, int64_t head_dim,
                                  const float *const *pages, int64_t key_offset, int64_t page_size,
                                  int64_t length, float scale, float *scores, int64_t score_stride) {
#if defined(__x86_64__) || defined(_M_X64)
    if (heads < 1 || heads > MAX_HEADS || head_dim < 1 || page_size < 1) return 0;
    if (length <= 0) return 1;
    switch (page_attention_level(level)) {
    case TRELLIS_LEVEL_AVX512:
        avx512_scores_any((int)heads, queries, head_dim, pages, key_offset, page_size, length, scale, scores, score_stride);
        return 1;
    case TRELLIS_LEVEL_AVX2:
        avx2_scores_any((int)heads, queries, head_dim, pages, key_offset, page_size, length, scale, scores, score_stride);
        return 1;
    default:
        return 0;
    }
#else
    (void)level; (void)queries; (void)heads; (void)head_dim; (void)pages; (void)key_offset;
    (void)page_size; (void)length; (void)scale; (void)scores; (void)score_stride;
    return 0;
#endif
}

int trellis_page_attention_values(int level, const float *weights, int64_t weight_stride, int64_t heads,
                                  int64_t head_dim, const float *const *pages, int64_t value_offset,
                                  int64_t page_size, int64_t length, float *out) {
#if defined(__x86_64__) || defined(_M_X64)
    if (heads < 1 || heads > MAX_HEADS || head_dim < 1 || page_size < 1 || length <= 0) return 0;
    switch (page_attention_level(level)) {
    case TRELLIS_LEVEL_AVX512:
        avx512_values_any((int)heads, weights, weight_stride, head_dim, pages, value_offset, page_size, length, out);
        return 1;
    case TRELLIS_LEVEL_AVX2:
        avx2_values_any((int)heads, weights, weight_stride, head_dim, pages, value_offset, page_size, length, out);
        return 1;
    default:
        return 0;
    }
#else
    (void)level; (void)weights; (void)weight_stride; (void)heads; (void)head_dim; (void)pages;
    (void)value_offset; (void)page_size; (void)length; (void)out;
    return 0;
#endif
}
