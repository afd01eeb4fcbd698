// A persistent worker pool for fine-grained jobs (a decode step runs ~200 of them), and the
// row-split matrix product on top of it.
//
// Job hand-out: one 64-bit atomic word holds (job tag << 32) | tasks remaining. A participant
// claims a task by a compare-and-swap that decrements `remaining` only while the tag is still
// the one it woke for, so a worker that wakes late can never run a task of a newer job, and
// the caller waits only for tasks that were actually claimed (a descheduled worker does not
// hold a job up). Job fields are read only after a successful claim, when they are stable.
// Idle workers poll for `spin_us` microseconds, then sleep on a condition variable; the
// caller signals only when someone sleeps (Dekker-style check on `sleepers`, both sides seq_cst).

#if defined(__linux__) && !defined(_GNU_SOURCE)
#define _GNU_SOURCE  // sched_getaffinity
#endif
#include "internal.h"
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>
#define cpu_relax() _mm_pause()
#elif defined(__aarch64__)
#define cpu_relax() __asm__ __volatile__("yield")
#else
#define cpu_relax() ((void)0)
#endif

typedef struct {
    trellis_pool *pool;
    int index;
} worker_start;

struct trellis_pool {
    int threads;
    int64_t spin_ns;
    pthread_t *workers;
    worker_start *starts;

    _Atomic uint64_t claim;       // (tag << 32) | remaining
    _Atomic int64_t completed;    // tasks of the current job finished
    _Atomic int busy;             // a job is being dispatched
    _Atomic int sleepers;
    _Atomic int stop;

    trellis_task_fn fn;           // current job; stable while any of its tasks is claimed
    void *context;
    int64_t tasks;

    pthread_mutex_t mutex;
    pthread_cond_t wake;
};

int trellis_active_cores(void) {
#if defined(__linux__)
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0) {
        int count = CPU_COUNT(&set);
        if (count > 0) return count;
    }
#endif
    long online = sysconf(_SC_NPROCESSORS_ONLN);
    return online > 0 ? (int)online : 1;
}

static int64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/// Claims and runs tasks of job `tag` until none remain or the job changed.
static void work_on(trellis_pool *pool, uint32_t tag, int worker) {
    uint64_t word = atomic_load_explicit(&pool->claim, memory_order_acquire);
    for (;;) {
        if ((uint32_t)(word >> 32) != tag || (uint32_t)word == 0) return;
        if (!atomic_compare_exchange_weak_explicit(&pool->claim, &word, word - 1,
                                                   memory_order_acq_rel, memory_order_acquire))
            continue;
        int64_t task = pool->tasks - (int64_t)(uint32_t)word;
        pool->fn(pool->context, task, worker);
        atomic_fetch_add_explicit(&pool->completed, 1, memory_order_release);
        word = atomic_load_explicit(&pool->claim, memory_order_acquire);
    }
}

static void *worker_main(void *arg) {
    worker_start *start = arg;
    trellis_pool *pool = start->pool;
    // A worker that starts while a job runs joins it (a job may need every participant).
    uint32_t seen = (uint32_t)(atomic_load(&pool->claim) >> 32);
    work_on(pool, seen, start->index);
    for (;;) {
        // stop is set before destroy publishes, so a worker started late still sees it.
        if (atomic_load_explicit(&pool->stop, memory_order_acquire)) return NULL;
        uint64_t word = atomic_load_explicit(&pool->claim, memory_order_acquire);
        if ((uint32_t)(word >> 32) == seen) {
            int64_t deadline = now_ns() + pool->spin_ns;
            int spins = 0;
            while ((uint32_t)((word = atomic_load_explicit(&pool->claim, memory_order_acquire)) >> 32) == seen) {
                cpu_relax();
                if (++spins < 64) continue;
                spins = 0;
                if (now_ns() < deadline) continue;
                pthread_mutex_lock(&pool->mutex);
                atomic_fetch_add(&pool->sleepers, 1);
                while ((uint32_t)((word = atomic_load(&pool->claim)) >> 32) == seen && !atomic_load(&pool->stop))
                    pthread_cond_wait(&pool->wake, &pool->mutex);
                atomic_fetch_sub(&pool->sleepers, 1);
                pthread_mutex_unlock(&pool->mutex);
                break;
            }
        }
        if (atomic_load_explicit(&pool->stop, memory_order_acquire)) return NULL;
        seen = (uint32_t)(word >> 32);
        work_on(pool, seen, start->index);
    }
}

trellis_pool *trellis_pool_create(int threads, int64_t spin_us) {
    if (threads < 1) threads = 1;
    if (threads > 256) threads = 256;
    trellis_pool *pool = calloc(1, sizeof *pool);
    if (!pool) return NULL;
    pool->threads = threads;
    pool->spin_ns = (spin_us > 0 ? spin_us : 100) * 1000;
    atomic_init(&pool->claim, 0);
    atomic_init(&pool->completed, 0);
    atomic_init(&pool->busy, 0);
    atomic_init(&pool->sleepers, 0);
    atomic_init(&pool->stop, 0);
    pthread_mutex_init(&pool->mutex, NULL);
    pthread_cond_init(&pool->wake, NULL);
    pool->workers = calloc((size_t)threads, sizeof(pthread_t));
    pool->starts = calloc((size_t)threads, sizeof(worker_start));
    if (!pool->workers || !pool->starts) {
        free(pool->workers);
        free(pool->starts);
        free(pool);
        return NULL;
    }
    for (int i = 1; i < threads; i++) {
        pool->starts[i].pool = pool;
        pool->starts[i].index = i;
        if (pthread_create(&pool->workers[i], NULL, worker_main, &pool->starts[i]) != 0) {
            pool->threads = i;  // keep the workers that did start
            trellis_pool_destroy(pool);
            return NULL;
        }
    }
    return pool;
}

static void publish(trellis_pool *pool, uint64_t word) {
    atomic_store(&pool->claim, word);
    if (atomic_load(&pool->sleepers) > 0) {
        pthread_mutex_lock(&pool->mutex);
        pthread_cond_broadcast(&pool->wake);
        pthread_mutex_unlock(&pool->mutex);
    }
}

void trellis_pool_destroy(trellis_pool *pool) {
    if (!pool) return;
    atomic_store(&pool->stop, 1);
    uint64_t word = atomic_load(&pool->claim);
    publish(pool, ((uint64_t)((uint32_t)(word >> 32) + 1)) << 32);
    for (int i = 1; i < pool->threads; i++) pthread_join(pool->workers[i], NULL);
    pthread_mutex_destroy(&pool->mutex);
    pthread_cond_destroy(&pool->wake);
    free(pool->workers);
    free(pool->starts);
    free(pool);
}

int trellis_pool_threads(const trellis_pool *pool) { return pool ? pool->threads : 1; }

void trellis_pool_run(trellis_pool *pool, trellis_task_fn fn, void *context, int64_t tasks) {
    if (tasks <= 0) return;
    int expected = 0;
    if (!pool || pool->threads == 1 || tasks == 1 || tasks > 0xffffffffLL ||
        !atomic_compare_exchange_strong(&pool->busy, &expected, 1)) {
        for (int64_t t = 0; t < tasks; t++) fn(context, t, 0);
        return;
    }
    pool->fn = fn;
    pool->context = context;
    pool->tasks = tasks;
    atomic_store_explicit(&pool->completed, 0, memory_order_relaxed);
    uint32_t tag = (uint32_t)(atomic_load(&pool->claim) >> 32) + 1;
    publish(pool, ((uint64_t)tag << 32) | (uint64_t)tasks);
    work_on(pool, tag, 0);
    int spins = 0;
    while (atomic_load_explicit(&pool->completed, memory_order_acquire) < tasks) {
        cpu_relax();
        // A worker holding a claimed task may have been descheduled: let it run.
        if (++spins > 4096) sched_yield();
    }
    atomic_store_explicit(&pool->busy, 0, memory_order_release);
}

// ---- dispatch measurement ----------------------------------------------------------------

typedef struct {
    _Atomic int64_t arrived;
    int64_t threads;
} barrier_job;

static void barrier_task(void *context, int64_t task, int worker) {
    (void)task;
    (void)worker;
    barrier_job *job = context;
    atomic_fetch_add(&job->arrived, 1);
    int spins = 0;
    while (atomic_load(&job->arrived) < job->threads) {
        cpu_relax();
        if (++spins > 4096) sched_yield();
    }
}

double trellis_pool_dispatch_seconds(trellis_pool *pool, int64_t jobs) {
    int threads = trellis_pool_threads(pool);
    if (jobs <= 0) return 0;
    int64_t start = now_ns();
    for (int64_t j = 0; j < jobs; j++) {
        barrier_job job;
        atomic_init(&job.arrived, 0);
        job.threads = threads;
        trellis_pool_run(pool, barrier_task, &job, threads);
    }
    return (double)(now_ns() - start) * 1e-9 / (double)jobs;
}

// ---- row-split matrix product ------------------------------------------------------------

typedef struct {
    int level, format, accumulate;
    const void *w;
    size_t w_row_bytes;
    int64_t rows, cols, chunk;
    const float *x;
    int64_t ldx, n;
    float *y;
    int64_t ldy;
} matmul_job;

static void matmul_task(void *context, int64_t task, int worker) {
    (void)worker;
    const matmul_job *job = context;
    int64_t r0 = task * job->chunk;
    int64_t r1 = r0 + job->chunk < job->rows ? r0 + job->chunk : job->rows;
    trellis_matmul_rows(job->level, job->format, job->w, job->w_row_bytes, job->cols, job->x,
                        job->ldx, job->n, job->y, job->ldy, r0, r1, job->accumulate);
}

void trellis_pool_matmul(trellis_pool *pool, int level, int format, const void *w,
                         size_t w_row_bytes, int64_t rows, int64_t cols,
                         const float *x, int64_t ldx, int64_t n,
                         float *y, int64_t ldy, int accumulate) {
    if (rows <= 0 || n <= 0) return;
    int threads = trellis_pool_threads(pool);
    // A few chunks per participant balance a noisy machine; chunks stay multiples of 8 rows
    // (the kernels' row groups) and are not made tiny.
    int64_t work = rows * cols * n;
    int64_t chunks = work < (1 << 20) ? threads : (int64_t)threads * 4;
    int64_t chunk = (rows + chunks - 1) / chunks;
    chunk = (chunk + 7) & ~(int64_t)7;
    if (chunk < 8) chunk = 8;
    matmul_job job = {level, format, accumulate, w, w_row_bytes, rows, cols, chunk, x, ldx, n, y, ldy};
    trellis_pool_run(pool, matmul_task, &job, (rows + chunk - 1) / chunk);
}
