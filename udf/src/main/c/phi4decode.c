/*
 * Decode steps of a Phi-3 model on x86-64 CPUs, float32, in one native call from token ids and positions:
 * the embedding rows, the rotary angles, every decoder layer (both RMSNorms, the fused qkv product, rotary
 * positions, the KV-cache write, attention, o_proj, the SwiGLU MLP, the residuals) and the final norm, plus
 * the lm_head product; also greedy picks from the logits and the sampler's token weights (HostDraw). Java:
 * dev.phi4spark.udf.engine.NativeDecoder.
 *
 * Why not libtorch: a decode step multiplies 1 to 32 rows by every weight matrix, so its speed is the speed
 * of reading the weights. libtorch hands such products to MKL, which runs a one-row product on one thread
 * (one core's bandwidth) and a few-row one at 35-45 GFLOP/s, below both rooflines; and each call from Java
 * wakes libtorch's OpenMP team again. Here the weights stay in the checkpoint's [out, in] layout, each
 * thread streams its own output rows of a matrix once for all the step's rows (one row: one stream per weight
 * row; more rows: four weight rows against two activation rows in registers, or with AVX-512 four against
 * four, and three against eight for 5-16 rows), and one pool of threads that spin between the phases of a
 * step runs the whole step; a thread the host has not yet run gets its part of a phase done by another
 * instead of holding the step up, and a thread done with its own rows of a product takes the last chunks
 * of a slower one's (docs/benchmarks.md, issue 14).
 *
 * Build with -fno-tree-loop-distribute-patterns (udf/pom.xml): without it gcc turns each tile's loop that
 * loads its running sums into registers into a memcpy to the stack (rep movsq, and rep stos for the zeros),
 * 8% of an 8-row product's samples in perf; with it and the sums reduced inline, 8-row products read the
 * weights 1.17x faster (docs/benchmarks.md, issue 14).
 *
 * Arithmetic follows the TorchScript decoder op for op (norms, rotary, additive mask, softmax in float32);
 * only summation orders and the exponential (exp8, within 2 ulp of expf) differ, so results agree within
 * float rounding. The weights and KV-cache buffers are libtorch's tensors, read and written in place through
 * direct buffers.
 */
#include <jni.h>
#include <stdio.h>
#include <immintrin.h>
#include <linux/futex.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define MAX_THREADS 64
#define MASK_BIAS -1e9f  /* Phi3Model.MASK_BIAS: the floor of the additive bias, as FusedAttention.mask clamps */
/* Floats ahead of the current column that the multi-row tiles prefetch in every weight row (1 KB): measured
 * 1.3x faster at 8 rows than leaving it to the hardware prefetcher. One-row products prefetch only where the
 * hint is L2 (dot_stream). */
#define PREFETCH 256
/* Floats ahead that one-row products prefetch where the hint is L2 (3 KB: a thread's chunk is contiguous,
 * so this runs on into its next rows): measured on an Intel Xeon 1.09-1.10x no prefetch (0.87-0.88 of a
 * plain read against 0.79-0.81; 384 / 512 / 1024 floats ahead 1.04 / 1.07 / 1.04x). On AMD, where the
 * hardware prefetcher alone matched a plain read, prefetching made one row slower (dot_stream). */
#define STREAM_PREFETCH 768
/* Which hint the products' weight prefetches take (fetch_weight). On AMD non-temporal (prefetchnta): a weight
 * line is used once a step and a real model's step reads far more than the caches hold, so a line kept in
 * L2 and moved to L3 when L2 evicts it is only traffic; measured on Zen 5 against _MM_HINT_T0 1.04-1.11x at
 * 8 rows, 1.03 at 4, up to 1.09 at 2. On Intel the same hint made every multi-row product 2-3x slower (a
 * Xeon with AVX-512 and AMX: 8 rows 0.38 of a plain read against 0.77 into L2, 2-32 rows alike), so every
 * other CPU prefetches into L2 (prefetcht1: 1.01-1.04x _MM_HINT_T0 there at 2-8 rows). PHI4_PREFETCH=nta or
 * l2 chooses instead (docs/benchmarks.md, issue 14). */
static int prefetch_nta = 0;

/* One line of weights the products read soon; nta is prefetch_nta, a constant to the loops that pass it. */
__attribute__((always_inline)) static inline void fetch_weight(const float* p, const int nta) {
    if (nta) {
        _mm_prefetch((const char*) p, _MM_HINT_NTA);
    } else {
        _mm_prefetch((const char*) p, _MM_HINT_T1);
    }
}
/* How long a waiting thread spins before it sleeps: longer than the Java side of a decode step (sampling,
 * the embedding lookup, rotary angles, the mask), so a step's first product does not wait for the kernel
 * to wake a sleeping worker (measured ~0.5 ms per step on a 2-vCPU VM with 20k pause loops). */
#define SPIN_NANOS 3000000L

/* ---------- the thread pool: one job at a time, run by every thread, the caller as thread 0 ---------- */

typedef void (*task_fn)(void* arg, int t, int threads);

static int threads = 1;
/* The current job: written by the caller before it bumps generation, read by workers after they see it. */
static _Atomic(task_fn) job_fn;
static _Atomic(void*) job_arg;
static atomic_int generation;  /* bumped per job; workers wait on it */
static atomic_int done;        /* parts of the current job finished */
/* claimed[p]: the last job generation whose part p a thread took. A part is free while it is below the
 * current generation, so a worker that wakes late for a job already finished finds nothing to take. */
static atomic_int claimed[MAX_THREADS];
/* Who sleeps on a futex: a wake-up is a system call, made only when someone sleeps (no wake-up is lost:
 * a sleeper registers before futex_wait, which returns at once if the value has moved). */
static atomic_int sleepers;       /* workers asleep on generation */
static atomic_int caller_sleeps;  /* the calling thread asleep on done */
static pthread_mutex_t call_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static int wanted_threads = 1;
static int use_512 = 0;   /* AVX-512 for products of four rows or more and attention's weighted values, where the CPU has it */

static long nanos(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000000000L + t.tv_nsec;
}

/* Spins while *addr == expected, for up to SPIN_NANOS; returns the value seen (== expected on timeout). */
static int spin(atomic_int* addr, int expected) {
    long deadline = 0;
    for (long i = 1;; i++) {
        int now = atomic_load_explicit(addr, memory_order_acquire);
        if (now != expected) {
            return now;
        }
        _mm_pause();
        if ((i & 255) == 0) {
            long t = nanos();
            if (deadline == 0) {
                deadline = t + SPIN_NANOS;
            } else if (t > deadline) {
                return expected;
            }
        }
    }
}

static void futex_wait(atomic_int* addr, int expected) {
    syscall(SYS_futex, (int*) addr, FUTEX_WAIT_PRIVATE, expected, NULL, NULL, 0);
}

static void futex_wake_all(atomic_int* addr) {
    syscall(SYS_futex, (int*) addr, FUTEX_WAKE_PRIVATE, INT32_MAX, NULL, NULL, 0);
}

/* Runs every part of job g that is still free, starting at part first; returns how many it ran. */
static int run_parts(int g, task_fn fn, void* arg, int first) {
    int ran = 0;
    for (int i = 0; i < threads; i++) {
        const int part = (first + i) % threads;
        int seen = atomic_load(&claimed[part]);
        /* seen is behind g (as a wrapping counter: a pool runs billions of jobs in a few days) */
        if ((int32_t) ((uint32_t) g - (uint32_t) seen) > 0
                && atomic_compare_exchange_strong(&claimed[part], &seen, g)) {
            fn(arg, part, threads);
            ran++;
        }
    }
    return ran;
}

static void* worker(void* arg) {
    const int t = (int) (intptr_t) arg;
    int seen = atomic_load(&generation);
    for (;;) {
        int now;
        while ((now = spin(&generation, seen)) == seen) {
            atomic_fetch_add(&sleepers, 1);
            futex_wait(&generation, seen);
            atomic_fetch_sub(&sleepers, 1);
        }
        seen = now;
        const int ran = run_parts(now, atomic_load(&job_fn), atomic_load(&job_arg), t);
        if (ran > 0 && atomic_fetch_add(&done, ran) + ran == threads && atomic_load(&caller_sleeps)) {
            futex_wake_all(&done);
        }
    }
    return NULL;
}

static void start_pool(void) {
    __builtin_cpu_init();
    use_512 = __builtin_cpu_supports("avx512f") && getenv("PHI4_NO_AVX512") == NULL;
    const char* hint = getenv("PHI4_PREFETCH");
    prefetch_nta = hint != NULL && strcmp(hint, "nta") == 0 ? 1
                 : hint != NULL && strcmp(hint, "l2") == 0 ? 0
                 : __builtin_cpu_is("amd");
    threads = wanted_threads < 1 ? 1 : wanted_threads > MAX_THREADS ? MAX_THREADS : wanted_threads;
    for (int t = 1; t < threads; t++) {
        pthread_t id;
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        int failed = pthread_create(&id, &attr, worker, (void*) (intptr_t) t);
        pthread_attr_destroy(&attr);
        if (failed) {
            threads = t; /* run with the workers that started */
            break;
        }
    }
}

/* Runs fn's parts 0..threads-1 and returns when all are done. Each thread starts at its own part (so
 * each streams the same rows every step) and then takes any part still free: if the host has not yet run
 * a worker, the caller does that worker's part instead of waiting for it. The caller holds call_lock. */
static void parallel(task_fn fn, void* arg) {
    if (threads == 1) {
        fn(arg, 0, 1);
        return;
    }
    atomic_store(&job_fn, fn);
    atomic_store(&job_arg, arg);
    atomic_store(&done, 0);
    const int g = (int) ((uint32_t) atomic_fetch_add(&generation, 1) + 1u);
    if (atomic_load(&sleepers) > 0) {
        futex_wake_all(&generation);
    }
    const int ran = run_parts(g, fn, arg, 0);
    int finished = atomic_fetch_add(&done, ran) + ran;
    while (finished != threads) {
        int now = spin(&done, finished);
        if (now == finished) {
            atomic_store(&caller_sleeps, 1);
            futex_wait(&done, finished);
            atomic_store(&caller_sleeps, 0);
            now = atomic_load(&done);
        }
        finished = now;
    }
}

/* ---------- products: y[r][o] = sum_i x[r][i] * w[o][i], w an [n, k] matrix in row-major order ---------- */

static inline float hsum(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

static inline float dot(const float* a, const float* b, int k) {
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    int i = 0;
    for (; i + 16 <= k; i += 16) {
        acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), acc0);
        acc1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), acc1);
    }
    for (; i + 8 <= k; i += 8) {
        acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), acc0);
    }
    float s = hsum(_mm256_add_ps(acc0, acc1));
    for (; i < k; i++) {
        s += a[i] * b[i];
    }
    return s;
}

/* s plus w[i] * x[i] for i in [i0, k), in order, each term one fused multiply-add. Every product kernel's tail
 * (the inner dimension past its last whole vector) goes through here: written inline, gcc contracted the
 * same expression to a multiply-add in one function and not in another, and the last bits differed. */
static float tail_sum(float s, const float* w, const float* x, int i0, int k) {
    for (int i = i0; i < k; i++) {
        s = fmaf(w[i], x[i], s);
    }
    return s;
}

/* One weight row against one activation row in tile_4x2's order (eight lanes, each in order, one reduction,
 * then the tail), for the row and columns the AVX2 tiles leave over. */
static float dot_256(const float* w, const float* x, int k) {
    const int k8 = k & ~7;
    __m256 a = _mm256_setzero_ps();
    for (int i = 0; i < k8; i += 8) {
        a = _mm256_fmadd_ps(_mm256_loadu_ps(w + i), _mm256_loadu_ps(x + i), a);
    }
    return tail_sum(hsum(a), w, x, k8, k);
}

/* Columns [i0, i1) of four weight rows against two activation rows, into eight running sums. */
static inline void tile_4x2(const float* w, int k, int i0, int i1, const float* x0, const float* x1, __m256 acc[8]) {
    const int nta = prefetch_nta;
    const float* w0 = w;
    const float* w1 = w + k;
    const float* w2 = w + 2 * (size_t) k;
    const float* w3 = w + 3 * (size_t) k;
    __m256 a00 = acc[0], a01 = acc[1], a10 = acc[2], a11 = acc[3];
    __m256 a20 = acc[4], a21 = acc[5], a30 = acc[6], a31 = acc[7];
    for (int i = i0; i < i1; i += 8) {
        if ((i & 15) == 0) {
            fetch_weight(w0 + i + PREFETCH, nta);
            fetch_weight(w1 + i + PREFETCH, nta);
            fetch_weight(w2 + i + PREFETCH, nta);
            fetch_weight(w3 + i + PREFETCH, nta);
        }
        const __m256 u = _mm256_loadu_ps(x0 + i), v = _mm256_loadu_ps(x1 + i);
        __m256 c = _mm256_loadu_ps(w0 + i);
        a00 = _mm256_fmadd_ps(c, u, a00);
        a01 = _mm256_fmadd_ps(c, v, a01);
        c = _mm256_loadu_ps(w1 + i);
        a10 = _mm256_fmadd_ps(c, u, a10);
        a11 = _mm256_fmadd_ps(c, v, a11);
        c = _mm256_loadu_ps(w2 + i);
        a20 = _mm256_fmadd_ps(c, u, a20);
        a21 = _mm256_fmadd_ps(c, v, a21);
        c = _mm256_loadu_ps(w3 + i);
        a30 = _mm256_fmadd_ps(c, u, a30);
        a31 = _mm256_fmadd_ps(c, v, a31);
    }
    acc[0] = a00; acc[1] = a01; acc[2] = a10; acc[3] = a11;
    acc[4] = a20; acc[5] = a21; acc[6] = a30; acc[7] = a31;
}

/* One weight row against one activation row, the row read as one sequential stream: a one-row product is a
 * pure read of the weights, and this order read the 150M model's matrices at 45-48 GB/s on 2 threads where
 * four interleaved rows read at 40-42. On AMD (nta) no software prefetch: a thread's chunk is one contiguous
 * run of rows, which the hardware prefetcher follows, and prefetching 4 KB ahead made the step's products
 * 10-15% slower there; elsewhere STREAM_PREFETCH floats ahead into L2 (docs/benchmarks.md). 256-bit vectors:
 * 512-bit ones read 5% slower on AMD. */
static inline float dot_stream(const float* w, const float* x, int k, const int nta) {
    __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps(), a2 = _mm256_setzero_ps(), a3 = _mm256_setzero_ps();
    int i = 0;
    for (; i + 32 <= k; i += 32) {
        if (!nta) {
            fetch_weight(w + i + STREAM_PREFETCH, 0);
            fetch_weight(w + i + STREAM_PREFETCH + 16, 0);
        }
        a0 = _mm256_fmadd_ps(_mm256_loadu_ps(w + i), _mm256_loadu_ps(x + i), a0);
        a1 = _mm256_fmadd_ps(_mm256_loadu_ps(w + i + 8), _mm256_loadu_ps(x + i + 8), a1);
        a2 = _mm256_fmadd_ps(_mm256_loadu_ps(w + i + 16), _mm256_loadu_ps(x + i + 16), a2);
        a3 = _mm256_fmadd_ps(_mm256_loadu_ps(w + i + 24), _mm256_loadu_ps(x + i + 24), a3);
    }
    for (; i + 8 <= k; i += 8) {
        a0 = _mm256_fmadd_ps(_mm256_loadu_ps(w + i), _mm256_loadu_ps(x + i), a0);
    }
    float s = hsum(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)));
    for (; i < k; i++) {
        s += w[i] * x[i];
    }
    return s;
}

#define K_CHUNK 256 /* inner-dimension floats per pass: four weight rows' piece (4 KB) and 8 rows of x stay in L1 */

/* One weight row against one activation row in the AVX-512 tiles' order (sixteen lanes, each in order, one
 * reduction, then the tail), for the rows and columns a tile leaves over: a row's sums are then the same
 * bits whichever tile or remainder computes them. */
__attribute__((target("avx512f")))
static float dot_512(const float* w, const float* x, int k) {
    const int k16 = k & ~15;
    __m512 a = _mm512_setzero_ps();
    for (int i = 0; i < k16; i += 16) {
        a = _mm512_fmadd_ps(_mm512_loadu_ps(w + i), _mm512_loadu_ps(x + i), a);
    }
    return tail_sum(_mm512_reduce_add_ps(a), w, x, k16, k);
}

/* Columns [i0, i1) of four weight rows against four activation rows, AVX-512: sixteen running sums
 * (of the 32 vector registers), 8 loads per 16 fused multiply-adds. */
__attribute__((target("avx512f")))
static void tile_4x4_512(const float* w, int k, int i0, int i1, const float* x, __m512 acc[16]) {
    const int nta = prefetch_nta;
    const float* w0 = w;
    const float* w1 = w + k;
    const float* w2 = w + 2 * (size_t) k;
    const float* w3 = w + 3 * (size_t) k;
    const float* x0 = x;
    const float* x1 = x + k;
    const float* x2 = x + 2 * (size_t) k;
    const float* x3 = x + 3 * (size_t) k;
    __m512 a[16];
    for (int j = 0; j < 16; j++) a[j] = acc[j];
    for (int i = i0; i < i1; i += 16) {
        fetch_weight(w0 + i + PREFETCH, nta);
        fetch_weight(w1 + i + PREFETCH, nta);
        fetch_weight(w2 + i + PREFETCH, nta);
        fetch_weight(w3 + i + PREFETCH, nta);
        const __m512 c0 = _mm512_loadu_ps(w0 + i), c1 = _mm512_loadu_ps(w1 + i);
        const __m512 c2 = _mm512_loadu_ps(w2 + i), c3 = _mm512_loadu_ps(w3 + i);
        __m512 u = _mm512_loadu_ps(x0 + i);
        a[0] = _mm512_fmadd_ps(c0, u, a[0]); a[1] = _mm512_fmadd_ps(c1, u, a[1]);
        a[2] = _mm512_fmadd_ps(c2, u, a[2]); a[3] = _mm512_fmadd_ps(c3, u, a[3]);
        u = _mm512_loadu_ps(x1 + i);
        a[4] = _mm512_fmadd_ps(c0, u, a[4]); a[5] = _mm512_fmadd_ps(c1, u, a[5]);
        a[6] = _mm512_fmadd_ps(c2, u, a[6]); a[7] = _mm512_fmadd_ps(c3, u, a[7]);
        u = _mm512_loadu_ps(x2 + i);
        a[8] = _mm512_fmadd_ps(c0, u, a[8]); a[9] = _mm512_fmadd_ps(c1, u, a[9]);
        a[10] = _mm512_fmadd_ps(c2, u, a[10]); a[11] = _mm512_fmadd_ps(c3, u, a[11]);
        u = _mm512_loadu_ps(x3 + i);
        a[12] = _mm512_fmadd_ps(c0, u, a[12]); a[13] = _mm512_fmadd_ps(c1, u, a[13]);
        a[14] = _mm512_fmadd_ps(c2, u, a[14]); a[15] = _mm512_fmadd_ps(c3, u, a[15]);
    }
    for (int j = 0; j < 16; j++) acc[j] = a[j];
}

/* Output columns [o0, o1) for rows in groups of four, AVX-512 (the rows and columns left over by dot_512). */
__attribute__((target("avx512f")))
static void product_range_512(const float* x, int rows, int k, const float* w, float* y, int n, int o0, int o1) {
    const int k16 = k & ~15;
    const int quads = rows / 4;
    __m512 sums[8][16];
    int o = o0;
    for (; o + 4 <= o1; o += 4) {
        const float* wo = w + (size_t) o * k;
        for (int q = 0; q < quads; q++)
            for (int j = 0; j < 16; j++) sums[q][j] = _mm512_setzero_ps();
        for (int i0 = 0; i0 < k16; i0 += K_CHUNK) {
            const int i1 = i0 + K_CHUNK < k16 ? i0 + K_CHUNK : k16;
            for (int q = 0; q < quads; q++) {
                tile_4x4_512(wo, k, i0, i1, x + (size_t) 4 * q * k, sums[q]);
            }
        }
        for (int q = 0; q < quads; q++) {
            for (int r = 0; r < 4; r++) {
                const float* xr = x + (size_t) (4 * q + r) * k;
                for (int j = 0; j < 4; j++) {
                    y[(size_t) (4 * q + r) * n + o + j] =
                            tail_sum(_mm512_reduce_add_ps(sums[q][4 * r + j]), wo + (size_t) j * k, xr, k16, k);
                }
            }
        }
        for (int r = 4 * quads; r < rows; r++) {
            for (int j = 0; j < 4; j++) {
                y[(size_t) r * n + o + j] = dot_512(wo + (size_t) j * k, x + (size_t) r * k, k);
            }
        }
    }
    for (; o < o1; o++) {
        for (int r = 0; r < rows; r++) {
            y[(size_t) r * n + o] = dot_512(w + (size_t) o * k, x + (size_t) r * k, k);
        }
    }
}


/* Products of 2-16 rows with AVX-512 (3-8 with AVX2): three weight rows at a time against a group of up to
 * eight activation rows (four with AVX2's 16 registers), up to 24 running sums in registers, 11 loads per 24
 * fused multiply-adds at eight rows. The activations are packed per group as [k/lanes][R][lanes], R the
 * group's rows (one contiguous read per step of the inner dimension; a last group of fewer rows multiplies
 * only those, where zero rows padded it to eight before: 12 rows cost 16), and the inner dimension goes in
 * TILE_PIECE pieces so a group's piece stays in L1 while a block of tiles takes its turn and the later
 * groups read it from there; each tile's sums wait in a small array between its pieces. Each piece
 * prefetches the piece the loops take next (the next tile's three rows; non-temporal, see PREFETCH), which
 * keeps a full piece of every stream in flight: measured 1.35-1.5x the 4x4 tile at 8 rows on the 150M step,
 * where prefetching ahead inside each row was only 1.07-1.13x, 1.1-1.35x the older tiles at 2-4 rows, and
 * with AVX2 1.1-1.45x the 4x2 tile at 3-8 rows; tiles of 2, 4, 6 or 12 weight rows, groups of four rows with
 * AVX-512, whole rows for pieces or a prefetch further ahead measured no faster (docs/benchmarks.md).
 *
 * Every sum runs over the inner dimension in the same order whatever the group's size (one vector of
 * lanes, each in order, then one reduction), as the 4x4 and 4x2 tiles of other steps do and as the
 * remainders' dot_512 / dot_256 do: a row's products are the same bits whichever rows share its step (2-32
 * rows; one row reads its own way, dot_stream). */
#define TILE_PIECE 512
#define TILE_BLOCK 8     /* tiles per block for one group; fewer for more groups, so the sums stay in L1 */

/* Packed activations per part of a job: jobs run one at a time (call_lock) and each part on one thread. */
static float* tile_packed[MAX_THREADS];
static size_t tile_packed_floats[MAX_THREADS];

/* Columns [i0, i1) of three weight rows (w, stride k) against R packed activation rows, into the sums acc
 * [R][3][16]. R is a constant where this is inlined, so the loops unroll and the sums stay in registers. */
__attribute__((target("avx512f"), always_inline))
static inline void tile_3xR_512(const int R, const int nta, const float* w, int k, const float* xp, int i0, int i1,
                                const float* next, int prefetch, float* acc) {
    const float* w0 = w;
    const float* w1 = w + k;
    const float* w2 = w + 2 * (size_t) k;
    __m512 a[24];
    for (int j = 0; j < 3 * R; j++) a[j] = i0 == 0 ? _mm512_setzero_ps() : _mm512_load_ps(acc + 16 * j);
    xp += (size_t) i0 * R;
    for (int i = i0; i < i1; i += 16, xp += 16 * R) {
        if (prefetch) {
            fetch_weight(next + i - i0, nta);
            fetch_weight(next + k + i - i0, nta);
            fetch_weight(next + 2 * (size_t) k + i - i0, nta);
        }
        const __m512 c0 = _mm512_loadu_ps(w0 + i), c1 = _mm512_loadu_ps(w1 + i), c2 = _mm512_loadu_ps(w2 + i);
        for (int r = 0; r < R; r++) {
            /* The empty asm keeps each activation vector in a register: folded into the multiply-adds as
             * memory operands, it would be loaded three times (measured 0.75x). */
            __m512 u = _mm512_load_ps(xp + 16 * r);
            __asm__("" : "+v"(u));
            a[3 * r] = _mm512_fmadd_ps(c0, u, a[3 * r]);
            a[3 * r + 1] = _mm512_fmadd_ps(c1, u, a[3 * r + 1]);
            a[3 * r + 2] = _mm512_fmadd_ps(c2, u, a[3 * r + 2]);
        }
    }
    for (int j = 0; j < 3 * R; j++) _mm512_store_ps(acc + 16 * j, a[j]);
}

/* The same with AVX2 for a group of up to four rows (12 sums, 3 weights and one activation: the 16 vector
 * registers), the sums [R][3][8]. */
__attribute__((always_inline))
static inline void tile_3xR_256(const int R, const int nta, const float* w, int k, const float* xp, int i0, int i1,
                                const float* next, int prefetch, float* acc) {
    const float* w0 = w;
    const float* w1 = w + k;
    const float* w2 = w + 2 * (size_t) k;
    __m256 a[12];
    for (int j = 0; j < 3 * R; j++) a[j] = i0 == 0 ? _mm256_setzero_ps() : _mm256_load_ps(acc + 8 * j);
    xp += (size_t) i0 * R;
    for (int i = i0; i < i1; i += 8, xp += 8 * R) {
        if (prefetch && (i & 15) == 0) { /* one prefetch per 64-byte line */
            fetch_weight(next + i - i0, nta);
            fetch_weight(next + k + i - i0, nta);
            fetch_weight(next + 2 * (size_t) k + i - i0, nta);
        }
        const __m256 c0 = _mm256_loadu_ps(w0 + i), c1 = _mm256_loadu_ps(w1 + i), c2 = _mm256_loadu_ps(w2 + i);
        for (int r = 0; r < R; r++) {
            __m256 u = _mm256_load_ps(xp + 8 * r);
            __asm__("" : "+x"(u));
            a[3 * r] = _mm256_fmadd_ps(c0, u, a[3 * r]);
            a[3 * r + 1] = _mm256_fmadd_ps(c1, u, a[3 * r + 1]);
            a[3 * r + 2] = _mm256_fmadd_ps(c2, u, a[3 * r + 2]);
        }
    }
    for (int j = 0; j < 3 * R; j++) _mm256_store_ps(acc + 8 * j, a[j]);
}

/* The tiles for a group of R rows, each R and prefetch hint its own unrolled copy: 1-8 rows with AVX-512,
 * 1-4 with AVX2. */
#define TILE_CASE(W, R, NTA) tile_3xR_##W(R, NTA, w, k, xp, i0, i1, next, prefetch, acc); return
__attribute__((target("avx512f")))
static void tile_3_512(int R, const float* w, int k, const float* xp, int i0, int i1, const float* next, int prefetch,
                       float* acc) {
    switch (prefetch_nta ? R : -R) { /* the row count, negated for the L2 hint's copies */
        case 1: TILE_CASE(512, 1, 1);
        case 2: TILE_CASE(512, 2, 1);
        case 3: TILE_CASE(512, 3, 1);
        case 4: TILE_CASE(512, 4, 1);
        case 5: TILE_CASE(512, 5, 1);
        case 6: TILE_CASE(512, 6, 1);
        case 7: TILE_CASE(512, 7, 1);
        case 8: TILE_CASE(512, 8, 1);
        case -1: TILE_CASE(512, 1, 0);
        case -2: TILE_CASE(512, 2, 0);
        case -3: TILE_CASE(512, 3, 0);
        case -4: TILE_CASE(512, 4, 0);
        case -5: TILE_CASE(512, 5, 0);
        case -6: TILE_CASE(512, 6, 0);
        case -7: TILE_CASE(512, 7, 0);
        default: TILE_CASE(512, 8, 0);
    }
}

static void tile_3_256(int R, const float* w, int k, const float* xp, int i0, int i1, const float* next, int prefetch,
                       float* acc) {
    switch (prefetch_nta ? R : -R) {
        case 1: TILE_CASE(256, 1, 1);
        case 2: TILE_CASE(256, 2, 1);
        case 3: TILE_CASE(256, 3, 1);
        case 4: TILE_CASE(256, 4, 1);
        case -1: TILE_CASE(256, 1, 0);
        case -2: TILE_CASE(256, 2, 0);
        case -3: TILE_CASE(256, 3, 0);
        default: TILE_CASE(256, 4, 0);
    }
}

/* A block's sums into y: the nt tiles from output column o, each lane vector reduced (as dot_512 / dot_256
 * do) and the inner dimension's tail past kv added. Inline per width: a call per sum (24 a tile at eight
 * rows) cost ~10% of an 8-row product (docs/benchmarks.md, issue 14). */
#define TILE_SUMS(NAME, LANES, REDUCE)                                                                         \
    static void NAME(const float* acc, int nt, int groups, int group, int rows, const float* x, const float* w, \
                     int k, int kv, float* y, int n, int o) {                                                 \
        const int slot = 3 * group * LANES;                                                                   \
        for (int t = 0; t < nt; t++, o += 3) {                                                                \
            for (int r = 0; r < rows; r++) {                                                                  \
                const float* sums = acc + (size_t) (t * groups + r / group) * slot + 3 * (r % group) * LANES; \
                float* yr = y + (size_t) r * n + o;                                                           \
                for (int j = 0; j < 3; j++) yr[j] = REDUCE(sums + LANES * j);                                 \
                for (int j = 0; kv < k && j < 3; j++)                                                         \
                    yr[j] = tail_sum(yr[j], w + (size_t) (o + j) * k, x + (size_t) r * k, kv, k);             \
            }                                                                                                 \
        }                                                                                                     \
    }
#define REDUCE_512(p) _mm512_reduce_add_ps(_mm512_load_ps(p))
#define REDUCE_256(p) hsum(_mm256_load_ps(p))
__attribute__((target("avx512f"))) TILE_SUMS(sums_512, 16, REDUCE_512)
TILE_SUMS(sums_256, 8, REDUCE_256)

/* One vector width's tiles: `lanes` floats a vector, activation rows in groups of `group`, for steps of
 * [min_rows, max_rows] rows; the reduction and the remainder's dot product sum in the tile's order. */
typedef struct {
    int lanes, group, min_rows, max_rows;
    void (*tile)(int R, const float* w, int k, const float* xp, int i0, int i1, const float* next, int prefetch,
                 float* acc);
    void (*sums)(const float* acc, int nt, int groups, int group, int rows, const float* x, const float* w, int k,
                 int kv, float* y, int n, int o);
    float (*dot)(const float* w, const float* x, int k);
} tiles_t;

/* AVX2 takes 3-8 rows: at 2 and 16 rows the 4x2 tile measured as fast or faster (docs/benchmarks.md). */
static const tiles_t TILES_512 = {16, 8, 2, 16, tile_3_512, sums_512, dot_512};
static const tiles_t TILES_256 = {8, 4, 3, 8, tile_3_256, sums_256, dot_256};

/* Where the piece after (tile t of the block at b0 with nt tiles, piece at c) starts, in the loops' order:
 * the block's next tile, else its first tile's next piece, else the next block, else the rows from o1 on
 * (the chunk a thread takes next from its own run: measured 1.02x at 8 rows, 1.04x at 4, against a chunk
 * starting unfetched); the matrix's last piece names itself (a prefetch of lines already in cache). */
static const float* tile_next(const float* w, int k, int kv, int o0, int tiles, int b0, int nt, int c, int t, int o1,
                              int n) {
    if (t + 1 < nt) return w + (size_t) (o0 + 3 * (b0 + t + 1)) * k + c;
    if (c + TILE_PIECE < kv) return w + (size_t) (o0 + 3 * b0) * k + c + TILE_PIECE;
    if (b0 + nt < tiles) return w + (size_t) (o0 + 3 * (b0 + nt)) * k;
    if (o1 + 3 <= n) return w + (size_t) o1 * k;
    return w + (size_t) (o0 + 3 * (b0 + t)) * k + c;
}

/* Rows in group g of a step of `rows` rows: a whole group, or what is left. */
static inline int group_rows(const tiles_t* v, int rows, int g) {
    return rows - v->group * g < v->group ? rows - v->group * g : v->group;
}

/* Packs x's rows in groups, each [kv/lanes][R][lanes] (kv = k rounded down to whole vectors), into part's
 * buffer; NULL when it cannot be allocated. */
static float* tile_pack(const tiles_t* v, const float* x, int rows, int k, int part) {
    const int L = v->lanes, kv = k & -L;
    const size_t floats = (size_t) rows * kv;
    if (tile_packed_floats[part] < floats) {
        free(tile_packed[part]);
        tile_packed[part] = aligned_alloc(64, sizeof(float) * floats);
        tile_packed_floats[part] = tile_packed[part] == NULL ? 0 : floats;
        if (tile_packed[part] == NULL) return NULL;
    }
    float* packed = tile_packed[part];
    for (int r = 0; r < rows; r++) {
        const int R = group_rows(v, rows, r / v->group);
        float* dst = packed + (size_t) (r / v->group) * v->group * kv + (r % v->group) * L;
        const float* src = x + (size_t) r * k;
        for (int i = 0; i < kv; i += L) {
            memcpy(dst + (size_t) i * R, src + i, sizeof(float) * (size_t) L);
        }
    }
    return packed;
}

/* Output columns [o0, o1) for 2-16 rows, the activations packed by tile_pack. */
static void product_range_tiles(const tiles_t* v, const float* x, const float* packed, int rows, int k,
                                const float* w, float* y, int n, int o0, int o1) {
    const int L = v->lanes, kv = k & -L, slot = 3 * v->group * L; /* floats of one tile's sums for a group */
    const int groups = (rows + v->group - 1) / v->group;
    const int per_block = TILE_BLOCK / groups > 0 ? TILE_BLOCK / groups : 1;
    float acc[TILE_BLOCK * 3 * 8 * 16] __attribute__((aligned(64)));
    const int tiles = (o1 - o0) / 3;
    for (int b0 = 0; b0 < tiles; b0 += per_block) {
        const int nt = tiles - b0 < per_block ? tiles - b0 : per_block;
        if (kv == 0) { /* else each tile's first piece (i0 == 0) starts its sums at zero */
            memset(acc, 0, sizeof(float) * (size_t) nt * groups * slot);
        }
        for (int c = 0; c < kv; c += TILE_PIECE) {
            const int ce = c + TILE_PIECE < kv ? c + TILE_PIECE : kv;
            for (int t = 0; t < nt; t++) {
                const float* wt = w + (size_t) (o0 + 3 * (b0 + t)) * k;
                const float* next = tile_next(w, k, kv, o0, tiles, b0, nt, c, t, o1, n);
                for (int g = 0; g < groups; g++) { /* later groups read the piece from L1: no prefetch */
                    v->tile(group_rows(v, rows, g), wt, k, packed + (size_t) g * v->group * kv, c, ce, next, g == 0,
                            acc + (size_t) (t * groups + g) * slot);
                }
            }
        }
        v->sums(acc, nt, groups, v->group, rows, x, w, k, kv, y, n, o0 + 3 * b0);
    }
    for (int o = o0 + 3 * tiles; o < o1; o++) {
        for (int r = 0; r < rows; r++) {
            y[(size_t) r * n + o] = v->dot(w + (size_t) o * k, x + (size_t) r * k, k);
        }
    }
}

/* Output columns [o0, o1) of y [rows, n] = x [rows, k] . w^T. One row streams each weight row once
 * (dot_stream). More rows walk each block of four weight rows in K_CHUNK pieces, each piece read from
 * memory once and reused from L1 by every pair of rows, with the running sums kept per pair. */
static void product_range(const float* x, int rows, int k, const float* w, float* y, int n, int o0, int o1) {
    if (rows == 1) {
        const int nta = prefetch_nta;
        for (int o = o0; o < o1; o++) {
            y[o] = dot_stream(w + (size_t) o * k, x, k, nta);
        }
        return;
    }
    const int k8 = k & ~7;
    const int pairs = rows / 2;
    __m256 sums[16][8];
    int o = o0;
    for (; o + 4 <= o1; o += 4) {
        const float* wo = w + (size_t) o * k;
        for (int p = 0; p < pairs; p++) {
            for (int j = 0; j < 8; j++) {
                sums[p][j] = _mm256_setzero_ps();
            }
        }
        for (int i0 = 0; i0 < k8; i0 += K_CHUNK) {
            const int i1 = i0 + K_CHUNK < k8 ? i0 + K_CHUNK : k8;
            for (int p = 0; p < pairs; p++) {
                tile_4x2(wo, k, i0, i1, x + (size_t) 2 * p * k, x + (size_t) (2 * p + 1) * k, sums[p]);
            }
        }
        for (int p = 0; p < pairs; p++) {
            const float* x0 = x + (size_t) 2 * p * k;
            const float* x1 = x0 + k;
            float* y0 = y + (size_t) 2 * p * n + o;
            float* y1 = y0 + n;
            for (int j = 0; j < 4; j++) {
                const float* wj = wo + (size_t) j * k;
                y0[j] = tail_sum(hsum(sums[p][2 * j]), wj, x0, k8, k);
                y1[j] = tail_sum(hsum(sums[p][2 * j + 1]), wj, x1, k8, k);
            }
        }
        if (rows % 2 == 1) {
            for (int j = 0; j < 4; j++) {
                y[(size_t) (rows - 1) * n + o + j] = dot_256(wo + (size_t) j * k, x + (size_t) (rows - 1) * k, k);
            }
        }
    }
    for (; o < o1; o++) {
        for (int r = 0; r < rows; r++) {
            y[(size_t) r * n + o] = dot_256(w + (size_t) o * k, x + (size_t) r * k, k);
        }
    }
}

/* Output rows per chunk of a product's work: whole tiles of three and of four rows, ~240 KB of weights (long
 * enough that a thread streams, short enough that the last chunks even the threads out). */
static int chunk_rows(int k) {
    const int rows = 61440 / (k > 0 ? k : 1) / 12 * 12;
    return rows < 12 ? 12 : rows;
}

/* One product job. Each part owns a run of chunks, which its thread takes from the front; a thread whose
 * own run is done takes chunks from the back of the others'. A step's phases end at a barrier, so a thread
 * the host slowed (the other vCPU's neighbour, a JVM thread on its core) no longer holds the step up: at one
 * row the two threads' own runs took 6.4 and 7.3 ms of an 8.2 ms products phase (docs/benchmarks.md). */
typedef struct {
    const float* x;
    const float* w;
    float* y;
    int rows, k, n;
    int chunk;                         /* output rows per chunk */
    const tiles_t* tiles;              /* this CPU's vector width's tiles */
    int first[MAX_THREADS + 1];        /* part p owns chunks [first[p], first[p + 1]) */
    _Atomic(long long) ends[MAX_THREADS]; /* part p's chunks not yet taken: front (low half), back (high half) */
} product_t;

/* Takes part p's front chunk (its owner) or back chunk (another thread); -1 when none is left. */
static int take_chunk(product_t* p, int part, int front) {
    long long v = atomic_load_explicit(&p->ends[part], memory_order_relaxed);
    for (;;) {
        const int f = (int) (uint32_t) v, b = (int) (v >> 32);
        if (f >= b) return -1;
        const long long next = front ? ((long long) b << 32) | (uint32_t) (f + 1)
                                     : ((long long) (b - 1) << 32) | (uint32_t) f;
        if (atomic_compare_exchange_weak(&p->ends[part], &v, next)) return front ? f : b - 1;
    }
}

static void product_chunk(const product_t* p, const float* packed, int c) {
    const int o0 = c * p->chunk, o1 = o0 + p->chunk < p->n ? o0 + p->chunk : p->n;
    if (packed != NULL) {
        product_range_tiles(p->tiles, p->x, packed, p->rows, p->k, p->w, p->y, p->n, o0, o1);
    } else if (use_512 && p->rows >= 4) {
        product_range_512(p->x, p->rows, p->k, p->w, p->y, p->n, o0, o1);
    } else {
        product_range(p->x, p->rows, p->k, p->w, p->y, p->n, o0, o1);
    }
}

/* Part t: its own chunks front to back, then the others' from their backs. */
static void product_task(void* arg, int t, int nt) {
    product_t* p = arg;
    const float* packed = NULL;
    if (p->rows >= p->tiles->min_rows && p->rows <= p->tiles->max_rows) {
        packed = tile_pack(p->tiles, p->x, p->rows, p->k, t); /* NULL (no buffer): the older tiles instead */
    }
    for (int c; (c = take_chunk(p, t, 1)) >= 0;) {
        product_chunk(p, packed, c);
    }
    for (int i = 1; i < nt; i++) {
        const int q = (t + i) % nt;
        for (int c; (c = take_chunk(p, q, 0)) >= 0;) {
            product_chunk(p, packed, c);
        }
    }
}

/* Products of at most MAX_ROWS rows at a time: the running sums of a block live on the stack. */
#define MAX_ROWS 32

static void product(const float* x, int rows, int k, const float* w, float* y, int n) {
    product_t p;
    p.w = w;
    p.k = k;
    p.n = n;
    p.chunk = chunk_rows(k);
    p.tiles = use_512 ? &TILES_512 : &TILES_256;
    const int chunks = (n + p.chunk - 1) / p.chunk;
    for (int r = 0; r < rows; r += MAX_ROWS) {
        p.x = x + (size_t) r * k;
        p.y = y + (size_t) r * n;
        p.rows = rows - r < MAX_ROWS ? rows - r : MAX_ROWS;
        for (int t = 0; t <= threads; t++) {
            p.first[t] = (int) ((long) chunks * t / threads);
        }
        for (int t = 0; t < threads; t++) {
            atomic_store(&p.ends[t], ((long long) p.first[t + 1] << 32) | (uint32_t) p.first[t]);
        }
        parallel(product_task, &p);
    }
}

/* ---------- the model ---------- */

typedef struct {
    int layers, hidden, heads, kv_heads, head_dim, rot, inter;
    float eps;
    /* per layer: input norm, qkv [qkvDim, hidden], o [hidden, q], post norm, gate_up, down; then the final norm */
    const float** w;
    const float* embed; /* [vocab, hidden] */
    jlong vocab;
    /* RotaryEmbedding's frequencies: the short ones, the long ones past orig_max positions (longrope), and
     * the attention factor both are scaled by */
    float inv_short[256], inv_long[256];
    int has_long, orig_max;
    float attention_factor;
} model_t;

typedef struct {
    float* x;              /* [batch, seq, hidden]: the embeddings, then the residual stream (the step's own) */
    float* out;            /* [batch, seq, hidden] */
    const float* cos;      /* [cosBatch, 1, seq, rot] */
    const float* sin;
    int cos_batch;
    const float* bias;
    int mask_batch;
    const int64_t* columns; /* [columnsBatch, seq] */
    int columns_batch;
    float** keys;          /* per layer [batch, kvHeads, capacity, headDim] */
    float** values;
    int batch, seq, end, capacity;
} step_t;

typedef struct {
    const model_t* m;
    int batch, seq, end, capacity;
    float* qkv;            /* [rows, qkvDim], rotated in place already unless rotate is set */
    const float* bias;     /* [maskBatch, 1, 1, seq, end], additive: 0 where a query sees a column */
    int mask_batch;
    const float* keys;     /* [batch, kvHeads, capacity, headDim] */
    const float* values;
    float* att;            /* [rows, heads*headDim] */
    const step_t* rotate;  /* a decode step (seq 1) whose units rotate their own heads and store their key and
                            * value first (rotate_group), or NULL */
    int layer;
} attention_t;

/* x * rsqrt(mean(x^2) + eps) * weight, per row, in float32 (as the reference). */
static void rms_norm(const float* x, const float* weight, float* out, int rows, int h, float eps) {
    for (int r = 0; r < rows; r++) {
        const float* xr = x + (size_t) r * h;
        float* o = out + (size_t) r * h;
        float variance = dot(xr, xr, h) / (float) h;
        float scale = 1.0f / sqrtf(variance + eps);
        for (int i = 0; i < h; i++) {
            o[i] = (xr[i] * scale) * weight[i];
        }
    }
}

/* rotate_half on the first rot elements of one head: out = r * cos + rotated * sin; the rest passes. */
static void rope(float* head, const float* cos, const float* sin, int rot) {
    const int half = rot / 2;
    float tmp[512];
    for (int j = 0; j < rot; j++) {
        float rotated = j < half ? -head[j + half] : head[j - half];
        tmp[j] = head[j] * cos[j] + rotated * sin[j];
    }
    memcpy(head, tmp, sizeof(float) * (size_t) rot);
}

/* e^x for eight floats: Cephes' expf (x = n ln2 + r, a degree-6 polynomial in r, then 2^n), within 2 ulp
 * of expf where the result is a normal float; 0 below e^-88.37 (the masked scores and silu's far tail, where
 * expf gives 0 or a subnormal). Scalar expf was most of attention and SwiGLU: ~1.7 ms of a batch-8 step. */
static inline __m256 exp8(__m256 x) {
    x = _mm256_max_ps(_mm256_min_ps(x, _mm256_set1_ps(88.3762626647949f)), _mm256_set1_ps(-88.3762626647949f));
    __m256 n = _mm256_floor_ps(_mm256_fmadd_ps(x, _mm256_set1_ps(1.44269504088896341f), _mm256_set1_ps(0.5f)));
    x = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
    x = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), x);
    __m256 y = _mm256_set1_ps(1.9875691500e-4f);
    y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(1.3981999507e-3f));
    y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(8.3334519073e-3f));
    y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(4.1665795894e-2f));
    y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(1.6666665459e-1f));
    y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(5.0000001201e-1f));
    y = _mm256_fmadd_ps(y, _mm256_mul_ps(x, x), _mm256_add_ps(x, _mm256_set1_ps(1.0f)));
    const __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvttps_epi32(n), _mm256_set1_epi32(127)), 23);
    return _mm256_mul_ps(y, _mm256_castsi256_ps(e));
}

/* The same for one float (the tails of the vector loops), so every element gets the same function. */
static inline float exp1(float x) {
    float out[8];
    _mm256_storeu_ps(out, exp8(_mm256_set1_ps(x)));
    return out[0];
}

/* Eight columns' dot products with q at once: one horizontal reduction per eight columns, not per column. */
static inline __m256 dots8(const float* q, const float* k, int hd) {
    __m256 a[8];
    for (int j = 0; j < 8; j++) a[j] = _mm256_setzero_ps();
    int d = 0;
    for (; d + 8 <= hd; d += 8) {
        const __m256 qv = _mm256_loadu_ps(q + d);
        for (int j = 0; j < 8; j++) a[j] = _mm256_fmadd_ps(qv, _mm256_loadu_ps(k + (size_t) j * hd + d), a[j]);
    }
    /* transpose-add: lane j of the result is the sum of a[j] */
    const __m256 s01 = _mm256_hadd_ps(a[0], a[1]), s23 = _mm256_hadd_ps(a[2], a[3]);
    const __m256 s45 = _mm256_hadd_ps(a[4], a[5]), s67 = _mm256_hadd_ps(a[6], a[7]);
    const __m256 s0123 = _mm256_hadd_ps(s01, s23), s4567 = _mm256_hadd_ps(s45, s67);
    __m256 r = _mm256_add_ps(_mm256_permute2f128_ps(s0123, s4567, 0x20), _mm256_permute2f128_ps(s0123, s4567, 0x31));
    if (d < hd) {
        float tail[8];
        _mm256_storeu_ps(tail, r);
        for (int j = 0; j < 8; j++)
            for (int e = d; e < hd; e++) tail[j] += q[e] * k[(size_t) j * hd + e];
        r = _mm256_loadu_ps(tail);
    }
    return r;
}

/* e^(x - max x) / sum in place over a row of n scores: the max and the sum in eight lanes, then across them
 * (one running sum cost ~1 ms of a batch-8 step at 1,500 columns). */
static void softmax_row(float* s, int n) {
    __m256 lanes = _mm256_set1_ps(-INFINITY);
    int c = 0;
    for (; c + 8 <= n; c += 8) {
        lanes = _mm256_max_ps(lanes, _mm256_loadu_ps(s + c));
    }
    float m[8];
    _mm256_storeu_ps(m, lanes);
    float max = -INFINITY;
    for (int j = 0; j < 8; j++) {
        max = m[j] > max ? m[j] : max;
    }
    for (; c < n; c++) {
        max = s[c] > max ? s[c] : max;
    }
    __m256 sums = _mm256_setzero_ps();
    for (c = 0; c + 8 <= n; c += 8) {
        const __m256 e = exp8(_mm256_sub_ps(_mm256_loadu_ps(s + c), _mm256_set1_ps(max)));
        _mm256_storeu_ps(s + c, e);
        sums = _mm256_add_ps(sums, e);
    }
    float sum = hsum(sums);
    for (; c < n; c++) {
        s[c] = exp1(s[c] - max);
        sum += s[c];
    }
    const __m256 total = _mm256_set1_ps(sum);
    for (c = 0; c + 8 <= n; c += 8) {
        _mm256_storeu_ps(s + c, _mm256_div_ps(_mm256_loadu_ps(s + c), total));
    }
    for (; c < n; c++) {
        s[c] /= sum;
    }
}

/* Cache bytes a block of columns holds (K or V of a block stays in L1 while a group's heads use it), and how
 * far ahead of the columns in use the next ones are fetched: measured at 1,500 columns, batch 8, the
 * prefetch took attention from 7.4 to 6.0 ms of a step. */
#define ATTEND_BLOCK_BYTES 16384
#define ATTEND_AHEAD_BYTES 8192

/* Whole groups of eight cache columns (at least one) in that many bytes of one head's K or V. */
static inline int cache_columns(int bytes, int hd) {
    const int columns = bytes / (hd * 4) & ~7;
    return columns < 8 ? 8 : columns;
}

static inline void fetch_ahead(const float* from, int bytes) {
    for (int i = 0; i < bytes; i += 64) _mm_prefetch((const char*) from + i, _MM_HINT_T0);
}

/* Scores of one query head over columns [c0, c1): q K^T * scale + the mask's bias, eight columns at a time.
 * ahead > 0 fetches the columns that far ahead (the group's first head: the others find them in L1). */
static void head_scores(const float* q, const float* k, const float* bias, int c0, int c1, int end, int hd,
                        float scale, int ahead, float* s) {
    int c = c0;
    for (; c + 8 <= c1; c += 8) {
        if (ahead > 0 && c + ahead + 8 <= end) fetch_ahead(k + (size_t) (c + ahead) * hd, 8 * hd * 4);
        const __m256 b = _mm256_max_ps(_mm256_loadu_ps(bias + c), _mm256_set1_ps(MASK_BIAS));
        _mm256_storeu_ps(s + c, _mm256_fmadd_ps(dots8(q, k + (size_t) c * hd, hd), _mm256_set1_ps(scale), b));
    }
    for (; c < c1; c++) {
        s[c] = dot(q, k + (size_t) c * hd, hd) * scale + fmaxf(bias[c], MASK_BIAS);
    }
}

/* out[d] += sum over columns [c0, c1) of p[c] * v[c][d] for dims [d0, hd) of one head (out starts at zero
 * when c0 is 0), each dim's sum running over the columns in order, one fused multiply-add each: the same
 * bits as the AVX-512 form below. */
static void head_values(const float* p, const float* v, int c0, int c1, int hd, int d0, int ahead, float* out) {
    int d = d0;
    for (; d + 64 <= hd; d += 64) { /* eight running sums of 8 floats in registers per block of 64 dims */
        __m256 acc[8];
        for (int j = 0; j < 8; j++) acc[j] = c0 == 0 ? _mm256_setzero_ps() : _mm256_loadu_ps(out + d + 8 * j);
        for (int c = c0; c < c1; c++) {
            const float* vc = v + (size_t) c * hd + d;
            if (ahead > 0) fetch_ahead(vc + (size_t) ahead * hd, 256);
            const __m256 w = _mm256_set1_ps(p[c]);
            for (int j = 0; j < 8; j++) acc[j] = _mm256_fmadd_ps(w, _mm256_loadu_ps(vc + 8 * j), acc[j]);
        }
        for (int j = 0; j < 8; j++) _mm256_storeu_ps(out + d + 8 * j, acc[j]);
    }
    for (; d < hd; d++) {
        float a = c0 == 0 ? 0.0f : out[d];
        for (int c = c0; c < c1; c++) a = fmaf(p[c], v[(size_t) c * hd + d], a);
        out[d] = a;
    }
}

/* head_values for H heads at once over dims [d, d + 16 * J), AVX-512: H x J running sums in registers, each
 * value vector loaded once for the H heads. pstride is the distance between the heads' weights. */
__attribute__((target("avx512f")))
static inline void heads_values_512(const int H, const int J, const float* p, int pstride, const float* v,
                                    int c0, int c1, int hd, int d, int ahead, float* out) {
    __m512 acc[4][4];
    for (int h = 0; h < H; h++)
        for (int j = 0; j < J; j++)
            acc[h][j] = c0 == 0 ? _mm512_setzero_ps() : _mm512_loadu_ps(out + (size_t) h * hd + d + 16 * j);
    for (int c = c0; c < c1; c++) {
        const float* vc = v + (size_t) c * hd + d;
        if (ahead > 0) fetch_ahead(vc + (size_t) ahead * hd, 64 * J);
        __m512 vv[4];
        for (int j = 0; j < J; j++) vv[j] = _mm512_loadu_ps(vc + 16 * j);
        for (int h = 0; h < H; h++) {
            const __m512 w = _mm512_set1_ps(p[(size_t) h * pstride + c]);
            for (int j = 0; j < J; j++) acc[h][j] = _mm512_fmadd_ps(w, vv[j], acc[h][j]);
        }
    }
    for (int h = 0; h < H; h++)
        for (int j = 0; j < J; j++) _mm512_storeu_ps(out + (size_t) h * hd + d + 16 * j, acc[h][j]);
}

/* heads_values_512 for n (1-4) heads, J vectors a dim block: a constant n for each call, so the sums stay in
 * registers. */
__attribute__((target("avx512f")))
static inline void n_heads_values_512(int n, const int J, const float* p, int pstride, const float* v, int c0,
                                      int c1, int hd, int d, int ahead, float* out) {
    switch (n) {
        case 4: heads_values_512(4, J, p, pstride, v, c0, c1, hd, d, ahead, out); break;
        case 3: heads_values_512(3, J, p, pstride, v, c0, c1, hd, d, ahead, out); break;
        case 2: heads_values_512(2, J, p, pstride, v, c0, c1, hd, d, ahead, out); break;
        default: heads_values_512(1, J, p, pstride, v, c0, c1, hd, d, ahead, out); break;
    }
}

/* Weighted values of `group` heads (weights pstride apart, outputs hd apart) over columns [c0, c1), AVX-512:
 * four heads at a time, 64 dims then 16 at a time; the dims left over through head_values. */
__attribute__((target("avx512f")))
static void group_values_512(int group, const float* p, int pstride, const float* v, int c0, int c1, int hd,
                             int ahead, float* out) {
    for (int h = 0; h < group; h += 4) {
        const int n = group - h < 4 ? group - h : 4;
        const float* ph = p + (size_t) h * pstride;
        float* oh = out + (size_t) h * hd;
        int d = 0;
        for (; d + 64 <= hd; d += 64) n_heads_values_512(n, 4, ph, pstride, v, c0, c1, hd, d, ahead, oh);
        for (; d + 16 <= hd; d += 16) n_heads_values_512(n, 1, ph, pstride, v, c0, c1, hd, d, ahead, oh);
        for (int i = 0; d < hd && i < n; i++) {
            head_values(ph + (size_t) i * pstride, v, c0, c1, hd, d, 0, oh + (size_t) i * hd);
        }
    }
}

/* softmax(q K^T * scale + bias) V for the `group` query heads of one key/value head at one query position,
 * over columns [0, end): scores in float32 as the reference, the exponentials by exp8. K, then V, is walked
 * in blocks that stay in L1 while every head of the group uses them, so each is read from memory once for
 * the group (Phi-4 has four query heads per key/value head), with the next columns fetched ahead. */
static void attend_group(const float* q, int group, const float* k, const float* v, const float* bias, int end,
                         int hd, float scale, float* scores, float* out) {
    const int block = cache_columns(ATTEND_BLOCK_BYTES, hd), ahead = cache_columns(ATTEND_AHEAD_BYTES, hd);
    for (int c0 = 0; c0 < end; c0 += block) {
        const int c1 = c0 + block < end ? c0 + block : end;
        for (int h = 0; h < group; h++) {
            head_scores(q + (size_t) h * hd, k, bias, c0, c1, end, hd, scale, h == 0 ? ahead : 0,
                        scores + (size_t) h * end);
        }
    }
    for (int h = 0; h < group; h++) {
        softmax_row(scores + (size_t) h * end, end);
    }
    for (int c0 = 0; c0 < end; c0 += block) {
        const int c1 = c0 + block < end ? c0 + block : end;
        const int fetch = c1 + ahead <= end ? ahead : 0;
        if (use_512) {
            group_values_512(group, scores, end, v, c0, c1, hd, fetch, out);
            continue;
        }
        for (int h = 0; h < group; h++) {
            head_values(scores + (size_t) h * end, v, c0, c1, hd, 0, h == 0 ? fetch : 0, out + (size_t) h * hd);
        }
    }
}

/* Rotary positions on row (b, p)'s query heads of key/value head g and on its key head g, then that key and
 * value into the row's cache column: what one attention unit reads, so a unit can do its own. */
static void rotate_group(const model_t* m, const step_t* s, float* qkv, int layer, int b, int p, int g) {
    const int hd = m->head_dim, group = m->heads / m->kv_heads, q_size = m->heads * hd, kv_size = m->kv_heads * hd;
    const size_t at = ((size_t) (s->cos_batch == 1 ? 0 : b) * s->seq + p) * m->rot;
    float* r = qkv + (size_t) (b * s->seq + p) * (q_size + 2 * kv_size);
    for (int h = g * group; h < (g + 1) * group; h++) {
        rope(r + (size_t) h * hd, s->cos + at, s->sin + at, m->rot);
    }
    rope(r + q_size + (size_t) g * hd, s->cos + at, s->sin + at, m->rot);
    const int64_t column = s->columns[(size_t) (s->columns_batch == 1 ? 0 : b) * s->seq + p];
    const size_t dst = (((size_t) b * m->kv_heads + g) * s->capacity + (size_t) column) * hd;
    memcpy(s->keys[layer] + dst, r + q_size + (size_t) g * hd, sizeof(float) * (size_t) hd);
    memcpy(s->values[layer] + dst, r + q_size + kv_size + (size_t) g * hd, sizeof(float) * (size_t) hd);
}

/* rotate_group for t's share of the units (prefill: every unit's keys must be stored before any attends). */
static void rotate_task(void* arg, int t, int nt) {
    const attention_t* a = arg;
    const int kv = a->m->kv_heads, units = a->batch * a->seq * kv;
    for (int u = (int) ((long) units * t / nt); u < (int) ((long) units * (t + 1) / nt); u++) {
        rotate_group(a->m, a->rotate, a->qkv, a->layer, u / (a->seq * kv), u / kv % a->seq, u % kv);
    }
}

/* Attention of [t's share of batch x kvHeads x seq], each the query heads of one key/value head at one
 * position: scores of every cache column below end plus the mask, softmax, weighted values; scale
 * 1/sqrt(headDim), as scaled_dot_product_attention. */
static void attention_task(void* arg, int t, int nt) {
    const attention_t* a = arg;
    const model_t* m = a->m;
    const int hd = m->head_dim, group = m->heads / m->kv_heads, seq = a->seq, end = a->end;
    const int qkv_dim = (m->heads + 2 * m->kv_heads) * hd;
    const float scale = 1.0f / sqrtf((float) hd);
    const int units = a->batch * m->kv_heads * seq;
    float* scores = malloc(sizeof(float) * (size_t) end * group);
    for (int u = (int) ((long) units * t / nt); u < (int) ((long) units * (t + 1) / nt); u++) {
        const int b = u / (m->kv_heads * seq);
        const int g = (u / seq) % m->kv_heads;
        const int s = u % seq;
        const int row = b * seq + s;
        const int mb = a->mask_batch == 1 ? 0 : b;
        if (a->rotate != NULL) {
            rotate_group(m, a->rotate, a->qkv, a->layer, b, 0, g);
        }
        attend_group(a->qkv + (size_t) row * qkv_dim + (size_t) g * group * hd, group,
                     a->keys + (((size_t) b * m->kv_heads + g) * a->capacity) * hd,
                     a->values + (((size_t) b * m->kv_heads + g) * a->capacity) * hd,
                     a->bias + ((size_t) mb * seq + s) * end, end, hd, scale, scores,
                     a->att + (size_t) row * m->heads * hd + (size_t) g * group * hd);
    }
    free(scores);
}

typedef struct {
    const float* gate_up; /* [rows, 2 * inter] */
    float* act;           /* [rows, inter]: silu(gate) * up */
    int rows, inter;
} swiglu_t;

static void swiglu_task(void* arg, int t, int nt) {
    const swiglu_t* s = arg;
    const int inter = s->inter;
    /* rows split between threads; a single row (one token) split by columns instead, at multiples of 8 */
    int r0 = 0, r1 = 1, c0 = 0, c1 = inter;
    if (s->rows == 1) {
        c0 = (int) ((long) inter * t / nt) & ~7;
        c1 = t == nt - 1 ? inter : (int) ((long) inter * (t + 1) / nt) & ~7;
    } else {
        r0 = (int) ((long) s->rows * t / nt);
        r1 = (int) ((long) s->rows * (t + 1) / nt);
    }
    for (int r = r0; r < r1; r++) {
        const float* row = s->gate_up + (size_t) r * 2 * inter;
        float* out = s->act + (size_t) r * inter;
        int i = c0;
        for (; i + 8 <= c1; i += 8) { /* silu(g) * up = g / (1 + e^-g) * up */
            const __m256 g = _mm256_loadu_ps(row + i);
            const __m256 e = exp8(_mm256_sub_ps(_mm256_setzero_ps(), g));
            const __m256 silu = _mm256_div_ps(g, _mm256_add_ps(_mm256_set1_ps(1.0f), e));
            _mm256_storeu_ps(out + i, _mm256_mul_ps(silu, _mm256_loadu_ps(row + inter + i)));
        }
        for (; i < c1; i++) {
            const float g = row[i];
            out[i] = g / (1.0f + exp1(-g)) * row[inter + i];
        }
    }
}

static void add(float* x, const float* y, size_t n) {
    for (size_t i = 0; i < n; i++) {
        x[i] += y[i];
    }
}

typedef struct {
    float* x;             /* [rows, hidden]: the residual stream */
    const float* y;       /* [rows, hidden] added to it first, or NULL */
    const float* weight;  /* the norm's */
    float* out;           /* [rows, hidden] */
    int rows, h;
    float eps;
} residual_t;

/* x += y, then out = rms_norm(x), for t's share of the rows. */
static void residual_task(void* arg, int t, int nt) {
    const residual_t* n = arg;
    const int r0 = (int) ((long) n->rows * t / nt), r1 = (int) ((long) n->rows * (t + 1) / nt);
    const size_t at = (size_t) r0 * n->h;
    if (n->y != NULL) {
        add(n->x + at, n->y + at, (size_t) (r1 - r0) * n->h);
    }
    rms_norm(n->x + at, n->weight, n->out + at, r1 - r0, n->h, n->eps);
}

/* residual_task over the rows, split between the threads from two rows on: a phase the calling thread runs
 * alone is time the others wait (at batch 8 the norms, adds, rotary and the SwiGLU copy so left to it were
 * ~0.23 ms of an ~11 ms step, docs/benchmarks.md). */
static void residual_norm(float* x, const float* y, const float* weight, float* out, int rows, int h, float eps) {
    residual_t n = {x, y, weight, out, rows, h, eps};
    if (rows < 2) {
        residual_task(&n, 0, 1);
    } else {
        parallel(residual_task, &n);
    }
}

/* One step through every layer and the final norm: the reference's order, op for op. */
static void decode(const model_t* m, const step_t* s) {
    const int rows = s->batch * s->seq, h = m->hidden, hd = m->head_dim;
    const int q_size = m->heads * hd, qkv_dim = q_size + 2 * m->kv_heads * hd;
    float* x = s->x;
    float* normed = malloc(sizeof(float) * (size_t) rows * h);
    float* qkv = malloc(sizeof(float) * (size_t) rows * qkv_dim);
    float* att = malloc(sizeof(float) * (size_t) rows * q_size);
    float* proj = malloc(sizeof(float) * (size_t) rows * h);
    float* gate_up = malloc(sizeof(float) * (size_t) rows * 2 * m->inter);
    float* act = malloc(sizeof(float) * (size_t) rows * m->inter);
    for (int l = 0; l < m->layers; l++) {
        const float* const* w = m->w + 6 * l;
        residual_norm(x, l == 0 ? NULL : proj, w[0], normed, rows, h, m->eps); /* + the layer before's MLP */
        product(normed, rows, h, w[1], qkv, qkv_dim);
        attention_t a = {m, s->batch, s->seq, s->end, s->capacity, qkv, s->bias, s->mask_batch,
                         s->keys[l], s->values[l], att, s, l};
        if (s->seq > 1) {
            parallel(rotate_task, &a);
            a.rotate = NULL;
        }
        parallel(attention_task, &a);
        product(att, rows, q_size, w[2], proj, h);
        residual_norm(x, proj, w[3], normed, rows, h, m->eps);
        product(normed, rows, h, w[4], gate_up, 2 * m->inter);
        swiglu_t sw = {gate_up, act, rows, m->inter};
        parallel(swiglu_task, &sw);
        product(act, rows, m->inter, w[5], proj, h);
    }
    residual_norm(x, m->layers == 0 ? NULL : proj, m->w[6 * m->layers], s->out, rows, h, m->eps);
    free(normed);
    free(qkv);
    free(att);
    free(proj);
    free(gate_up);
    free(act);
}

/* cos and sin of n positions, each [n, rot], as RotaryEmbedding.cosSin: the angles in float32, the long
 * frequencies once a sequence outgrows the original context, the attention factor applied last. */
static void rotary(const model_t* m, const float* positions, int n, int max_position, float* cos_out, float* sin_out) {
    const int half = m->rot / 2;
    const float* inv = m->has_long && max_position + 1 > m->orig_max ? m->inv_long : m->inv_short;
    for (int i = 0; i < n; i++) {
        float* c = cos_out + (size_t) i * m->rot;
        float* sn = sin_out + (size_t) i * m->rot;
        for (int j = 0; j < half; j++) {
            const float angle = positions[i] * inv[j];
            float cv = cosf(angle), sv = sinf(angle);
            if (m->attention_factor != 1.0f) {
                cv *= m->attention_factor;
                sv *= m->attention_factor;
            }
            c[j] = c[j + half] = cv;
            sn[j] = sn[j + half] = sv;
        }
    }
}

/* ---------- JNI ---------- */

static void throw_illegal(JNIEnv* env, const char* message) {
    jclass c = (*env)->FindClass(env, "java/lang/IllegalArgumentException");
    if (c != NULL) {
        (*env)->ThrowNew(env, c, message);
    }
}

/* A direct buffer's address when it holds at least `floats` floats, else NULL with an exception pending. */
static void* address(JNIEnv* env, jobject buffer, jlong bytes) {
    void* p = buffer == NULL ? NULL : (*env)->GetDirectBufferAddress(env, buffer);
    if (p == NULL) {
        throw_illegal(env, "Cannot run the native decoder: a buffer is not direct");
        return NULL;
    }
    if ((*env)->GetDirectBufferCapacity(env, buffer) < bytes) {
        throw_illegal(env, "Cannot run the native decoder: a buffer is smaller than its shape");
        return NULL;
    }
    return p;
}

JNIEXPORT jboolean JNICALL Java_dev_phi4spark_udf_engine_NativeDecoder_nativeSupported(JNIEnv* env, jclass cls) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") ? JNI_TRUE : JNI_FALSE;
}

#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE 25 /* Linux 6.1; older kernels refuse it (EINVAL) */
#endif

/* 2 MB pages under the 2 MB-aligned part of a buffer: with collapse false, advice for memory not written yet
 * (the loader's weights before the file is read into them: their first writes then fault in 2 MB pages);
 * with collapse true, the pages already there moved onto 2 MB ones now (memory malloc reused from earlier
 * allocations is written already, so the advice alone leaves it on 4 KB pages, as in a Spark executor that
 * ran other work first). The products stream every weight page each step: on 4 KB pages the 8-row products
 * ran 1.11-1.16x slower, one row 1.25x, and each 4 KB fault of a load cost ~11 us here (docs/benchmarks.md,
 * issue 14). Best effort: false when the kernel refuses (no 2 MB pages, transparent huge pages off, a kernel
 * before 6.1 for collapse); libtorch's arrays are not 2 MB-aligned, so up to 2 MB at each end stays small. */
JNIEXPORT jboolean JNICALL Java_dev_phi4spark_udf_engine_NativeDecoder_nativeHugePages(JNIEnv* env, jclass cls,
        jobject buffer, jboolean collapse) {
    char* p = (*env)->GetDirectBufferAddress(env, buffer);
    const jlong n = (*env)->GetDirectBufferCapacity(env, buffer);
    const uintptr_t huge = (uintptr_t) 2 << 20;
    const uintptr_t start = ((uintptr_t) p + huge - 1) & ~(huge - 1);
    const uintptr_t end = ((uintptr_t) p + (uintptr_t) (n > 0 ? n : 0)) & ~(huge - 1);
    if (p == NULL || end <= start) {
        return JNI_FALSE;
    }
    return madvise((void*) start, end - start, collapse ? MADV_COLLAPSE : MADV_HUGEPAGE) == 0 ? JNI_TRUE : JNI_FALSE;
}

/* A direct buffer's address (0 for none): the loader places large tensors at a 2 MB boundary. */
JNIEXPORT jlong JNICALL Java_dev_phi4spark_udf_engine_NativeDecoder_nativeAddress(JNIEnv* env, jclass cls,
        jobject buffer) {
    return (jlong) (uintptr_t) (*env)->GetDirectBufferAddress(env, buffer);
}

JNIEXPORT jint JNICALL Java_dev_phi4spark_udf_engine_NativeDecoder_nativeStart(JNIEnv* env, jclass cls, jint n) {
    wanted_threads = n;
    pthread_once(&once, start_pool);
    return threads;
}

/* dims: layers, hidden, heads, kvHeads, headDim, rot, inter, vocab, originalMaxPositions. weights: 6 per
 * layer, then the final norm. invLong is null without longrope. */
JNIEXPORT jlong JNICALL Java_dev_phi4spark_udf_engine_NativeDecoder_nativeCreate(JNIEnv* env, jclass cls,
        jobjectArray weights, jobject embed, jintArray dims, jfloat eps, jfloatArray inv_short, jfloatArray inv_long,
        jfloat attention_factor) {
    jint d[9];
    (*env)->GetIntArrayRegion(env, dims, 0, 9, d);
    if (d[4] > 512 || d[5] > d[4] || d[5] % 2 != 0 || d[3] < 1 || d[2] % d[3] != 0
            || (*env)->GetArrayLength(env, inv_short) != d[5] / 2
            || (inv_long != NULL && (*env)->GetArrayLength(env, inv_long) != d[5] / 2)) {
        throw_illegal(env, "Cannot load the native decoder: unsupported head shape");
        return 0;
    }
    model_t* m = calloc(1, sizeof(model_t));
    m->layers = d[0]; m->hidden = d[1]; m->heads = d[2]; m->kv_heads = d[3]; m->head_dim = d[4];
    m->rot = d[5]; m->inter = d[6]; m->vocab = d[7]; m->orig_max = d[8]; m->eps = eps;
    (*env)->GetFloatArrayRegion(env, inv_short, 0, d[5] / 2, m->inv_short);
    m->has_long = inv_long != NULL;
    if (m->has_long) {
        (*env)->GetFloatArrayRegion(env, inv_long, 0, d[5] / 2, m->inv_long);
    }
    m->attention_factor = attention_factor;
    const int count = 6 * m->layers + 1;
    m->w = calloc((size_t) count, sizeof(float*));
    const jlong h = m->hidden, q = (jlong) m->heads * m->head_dim, qkv = q + 2L * m->kv_heads * m->head_dim;
    m->embed = address(env, embed, m->vocab * h * 4);
    for (int i = 0; i < count && m->embed != NULL; i++) {
        const int kind = i == count - 1 ? 0 : i % 6;
        const jlong sizes[6] = {h, qkv * h, h * q, h, 2L * m->inter * h, h * m->inter};
        jobject buffer = (*env)->GetObjectArrayElement(env, weights, i);
        m->w[i] = address(env, buffer, sizes[kind] * 4);
        (*env)->DeleteLocalRef(env, buffer);
        if (m->w[i] == NULL) {
            break;
        }
    }
    if ((*env)->ExceptionCheck(env)) {
        free(m->w);
        free(m);
        return 0;
    }
    return (jlong) (intptr_t) m;
}

JNIEXPORT void JNICALL Java_dev_phi4spark_udf_engine_NativeDecoder_nativeFree(JNIEnv* env, jclass cls, jlong handle) {
    model_t* m = (model_t*) (intptr_t) handle;
    if (m != NULL) {
        free(m->w);
        free(m);
    }
}

/* The step's embeddings (rows of the table) and rotary tables, from its token ids and positions; 0 with an
 * exception pending on an id outside the vocabulary. */
static int step_inputs(JNIEnv* env, const model_t* m, step_t* s, const int64_t* ids, const float* positions,
                       int max_position, float* x, float* cos, float* sin) {
    const jlong rows = (jlong) s->batch * s->seq;
    for (jlong r = 0; r < rows; r++) {
        if (ids[r] < 0 || ids[r] >= m->vocab) {
            char message[160];
            snprintf(message, sizeof message, "Cannot run the native decoder: token id %lld is outside the vocabulary"
                     " (%lld tokens)", (long long) ids[r], (long long) m->vocab);
            throw_illegal(env, message);
            return 0;
        }
        memcpy(x + r * m->hidden, m->embed + ids[r] * m->hidden, sizeof(float) * (size_t) m->hidden);
    }
    rotary(m, positions, s->cos_batch * s->seq, max_position, cos, sin);
    s->x = x;
    s->cos = cos;
    s->sin = sin;
    return 1;
}

/* shape: batch, seq, end, capacity, positionsBatch, maskBatch, columnsBatch, maxPosition. */
JNIEXPORT void JNICALL Java_dev_phi4spark_udf_engine_NativeDecoder_nativeDecode(JNIEnv* env, jclass cls,
        jlong handle, jobject tokens, jobject positions, jobject out, jobject bias, jobject columns,
        jobjectArray keys, jobjectArray values, jintArray shape) {
    const model_t* m = (const model_t*) (intptr_t) handle;
    jint d[8];
    (*env)->GetIntArrayRegion(env, shape, 0, 8, d);
    step_t s = {0};
    s.batch = d[0]; s.seq = d[1]; s.end = d[2]; s.capacity = d[3];
    s.cos_batch = d[4]; s.mask_batch = d[5]; s.columns_batch = d[6];
    const jlong rows = (jlong) s.batch * s.seq;
    if (s.end > s.capacity || s.end < 1 || rows < 1) {
        throw_illegal(env, "Cannot run the native decoder: attention end outside the cache");
        return;
    }
    const int64_t* ids = address(env, tokens, rows * 8);
    const float* pos = ids == NULL ? NULL : address(env, positions, (jlong) s.cos_batch * s.seq * 4);
    s.out = pos == NULL ? NULL : address(env, out, rows * m->hidden * 4);
    s.bias = s.out == NULL ? NULL : address(env, bias, (jlong) s.mask_batch * s.seq * s.end * 4);
    s.columns = s.bias == NULL ? NULL : address(env, columns, (jlong) s.columns_batch * s.seq * 8);
    if (s.columns == NULL) {
        return;
    }
    for (jlong i = 0; i < (jlong) s.columns_batch * s.seq; i++) {
        if (s.columns[i] < 0 || s.columns[i] >= s.capacity) {
            throw_illegal(env, "Cannot run the native decoder: a write column is outside the cache");
            return;
        }
    }
    const jlong cache_bytes = (jlong) s.batch * m->kv_heads * s.capacity * m->head_dim * 4;
    float** k = malloc(sizeof(float*) * (size_t) m->layers);
    float** v = malloc(sizeof(float*) * (size_t) m->layers);
    float* x = malloc(sizeof(float) * (size_t) rows * m->hidden);
    float* cos = malloc(sizeof(float) * 2 * (size_t) s.cos_batch * s.seq * m->rot);
    int ok = k != NULL && v != NULL && x != NULL && cos != NULL;
    if (!ok) {
        throw_illegal(env, "Cannot run the native decoder: out of memory for the step's buffers");
    }
    for (int l = 0; l < m->layers && ok; l++) {
        jobject kb = (*env)->GetObjectArrayElement(env, keys, l);
        jobject vb = (*env)->GetObjectArrayElement(env, values, l);
        k[l] = address(env, kb, cache_bytes);
        v[l] = k[l] == NULL ? NULL : address(env, vb, cache_bytes);
        ok = v[l] != NULL;
        (*env)->DeleteLocalRef(env, kb);
        (*env)->DeleteLocalRef(env, vb);
    }
    if (ok && step_inputs(env, m, &s, ids, pos, d[7], x, cos, cos + (size_t) s.cos_batch * s.seq * m->rot)) {
        s.keys = k;
        s.values = v;
        pthread_once(&once, start_pool);
        pthread_mutex_lock(&call_lock);
        decode(m, &s);
        pthread_mutex_unlock(&call_lock);
    }
    free(k);
    free(v);
    free(x);
    free(cos);
}

/* The products' weight prefetch hint: 1 non-temporal, 0 into L2 (prefetch_nta). hint 0 or 1 sets it between
 * jobs (tests run both instantiations on one host), any other value only reads it. */
JNIEXPORT jint JNICALL Java_dev_phi4spark_udf_engine_NativeDecoder_nativePrefetch(JNIEnv* env, jclass cls, jint hint) {
    pthread_once(&once, start_pool);
    pthread_mutex_lock(&call_lock);
    if (hint == 0 || hint == 1) {
        prefetch_nta = hint;
    }
    const int now = prefetch_nta;
    pthread_mutex_unlock(&call_lock);
    return now;
}

/* y [rows, n] = x [rows, k] . w^T for w [n, k]: the lm_head of a decode step. */
JNIEXPORT void JNICALL Java_dev_phi4spark_udf_engine_NativeDecoder_nativeProduct(JNIEnv* env, jclass cls,
        jobject x, jobject w, jobject y, jint rows, jint k, jint n) {
    const float* xp = address(env, x, (jlong) rows * k * 4);
    const float* wp = xp == NULL ? NULL : address(env, w, (jlong) k * n * 4);
    float* yp = wp == NULL ? NULL : address(env, y, (jlong) rows * n * 4);
    if (yp == NULL) {
        return;
    }
    pthread_once(&once, start_pool);
    pthread_mutex_lock(&call_lock);
    product(xp, rows, k, wp, yp, n);
    pthread_mutex_unlock(&call_lock);
}

/* Row r of logits [rows, n]: the index of its first largest value (libtorch's argmax and Sampler's), or -1
 * (Sampler.NON_FINITE) when the row holds a NaN or an infinity. One pass: eight lanes, each keeping the
 * first maximum of its own columns, and a sum of x - x that turns NaN at the first non-finite x. */
static int64_t arg_max(const float* v, int n) {
    __m256 best = _mm256_set1_ps(-INFINITY), bad = _mm256_setzero_ps();
    __m256i at = _mm256_set1_epi32(INT32_MAX), index = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    const __m256i eight = _mm256_set1_epi32(8);
    int i = 0;
    for (; i + 8 <= n; i += 8) {
        const __m256 x = _mm256_loadu_ps(v + i);
        bad = _mm256_add_ps(bad, _mm256_sub_ps(x, x));
        const __m256 greater = _mm256_cmp_ps(x, best, _CMP_GT_OQ);
        best = _mm256_blendv_ps(best, x, greater);
        at = _mm256_castps_si256(_mm256_blendv_ps(_mm256_castsi256_ps(at), _mm256_castsi256_ps(index), greater));
        index = _mm256_add_epi32(index, eight);
    }
    float lanes[8], sums[8];
    int32_t where[8];
    _mm256_storeu_ps(lanes, best);
    _mm256_storeu_ps(sums, bad);
    _mm256_storeu_si256((__m256i*) where, at);
    float max = -INFINITY;
    int64_t first = INT32_MAX;
    for (int j = 0; j < 8; j++) {
        if (sums[j] != 0) return -1;
        if (lanes[j] > max || (lanes[j] == max && where[j] < first)) {
            max = lanes[j];
            first = where[j];
        }
    }
    for (; i < n; i++) { /* the tail's columns come after every lane's, so only a larger value moves the pick */
        if (!isfinite(v[i])) return -1;
        if (v[i] > max || first == INT32_MAX) {
            max = v[i];
            first = i;
        }
    }
    return first == INT32_MAX ? 0 : first;
}

typedef struct {
    const float* logits; /* [rows, n] */
    int rows, n;
    int64_t* picks;      /* [rows] */
} arg_max_t;

static void arg_max_task(void* arg, int t, int nt) {
    const arg_max_t* a = arg;
    for (int r = (int) ((long) a->rows * t / nt); r < (int) ((long) a->rows * (t + 1) / nt); r++) {
        a->picks[r] = arg_max(a->logits + (size_t) r * a->n, a->n);
    }
}

/* Greedy picks for logits [rows, n] (a direct FloatBuffer: its capacity counts floats) into out, the rows
 * split between the pool's threads (one thread's pass over eight rows of 32,064 logits took ~70 us a step). */
JNIEXPORT void JNICALL Java_dev_phi4spark_udf_engine_NativeDecoder_nativeArgMax(JNIEnv* env, jclass cls,
        jobject logits, jint rows, jint n, jlongArray out) {
    const float* v = logits == NULL ? NULL : (*env)->GetDirectBufferAddress(env, logits);
    if (v == NULL || rows < 0 || (*env)->GetDirectBufferCapacity(env, logits) < (jlong) rows * n
            || (*env)->GetArrayLength(env, out) < rows) {
        throw_illegal(env, "Cannot pick greedy tokens: the logits are not a direct buffer of rows x vocab floats");
        return;
    }
    int64_t* picks = malloc(sizeof(int64_t) * (size_t) (rows > 0 ? rows : 1));
    if (picks == NULL) {
        throw_illegal(env, "Cannot pick greedy tokens: out of memory");
        return;
    }
    arg_max_t a = {v, rows, n, picks};
    if (rows < 2) {
        arg_max_task(&a, 0, 1);
    } else {
        pthread_once(&once, start_pool);
        pthread_mutex_lock(&call_lock);
        parallel(arg_max_task, &a);
        pthread_mutex_unlock(&call_lock);
    }
    (*env)->SetLongArrayRegion(env, out, 0, rows, (const jlong*) picks);
    free(picks);
}

/* e^x for x <= 0 in double, four lanes (HostDraw's token weights): n = round(x / ln 2), r = x - n ln 2 in
 * two parts (|r| <= 0.35), e^r by its Taylor series to r^13 (truncation 4e-18) in fused multiply-adds, then
 * 2^n applied as two exact powers of two, so results down to the subnormals round once; below -745.2, 0.
 * Within an ulp of the correctly rounded value, as Java's Math.exp is (both may round the other way in the
 * last bit now and then). */
static inline __m256d exp_nonpositive(__m256d x) {
    static const double inverse_factorials[12] = {
        1.0 / 13 / 12 / 11 / 10 / 9 / 8 / 7 / 6 / 5 / 4 / 3 / 2, 1.0 / 12 / 11 / 10 / 9 / 8 / 7 / 6 / 5 / 4 / 3 / 2,
        1.0 / 11 / 10 / 9 / 8 / 7 / 6 / 5 / 4 / 3 / 2, 1.0 / 10 / 9 / 8 / 7 / 6 / 5 / 4 / 3 / 2,
        1.0 / 9 / 8 / 7 / 6 / 5 / 4 / 3 / 2, 1.0 / 8 / 7 / 6 / 5 / 4 / 3 / 2, 1.0 / 7 / 6 / 5 / 4 / 3 / 2,
        1.0 / 6 / 5 / 4 / 3 / 2, 1.0 / 5 / 4 / 3 / 2, 1.0 / 4 / 3 / 2, 1.0 / 3 / 2, 1.0 / 2};
    const __m256d underflow = _mm256_cmp_pd(x, _mm256_set1_pd(-745.2), _CMP_LT_OQ);
    x = _mm256_max_pd(x, _mm256_set1_pd(-745.2));
    const __m256d n = _mm256_round_pd(_mm256_mul_pd(x, _mm256_set1_pd(1.4426950408889634)),
                                      _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256d r = _mm256_fnmadd_pd(n, _mm256_set1_pd(6.93147180369123816490e-01), x); /* fdlibm's ln 2, high part */
    r = _mm256_fnmadd_pd(n, _mm256_set1_pd(1.90821492927058770002e-10), r);        /* and low part */
    __m256d p = _mm256_set1_pd(inverse_factorials[0]);
    for (int k = 1; k < 12; k++) {
        p = _mm256_fmadd_pd(p, r, _mm256_set1_pd(inverse_factorials[k]));
    }
    p = _mm256_fmadd_pd(p, r, _mm256_set1_pd(1.0));
    p = _mm256_fmadd_pd(p, r, _mm256_set1_pd(1.0));
    const __m128i whole = _mm256_cvtpd_epi32(n); /* in [-1075, 0] */
    const __m128i half = _mm_srai_epi32(whole, 1);
    const __m128i rest = _mm_sub_epi32(whole, half);
    const __m128i bias = _mm_set1_epi32(1023);
    const __m256d scale1 = _mm256_castsi256_pd(_mm256_slli_epi64(_mm256_cvtepi32_epi64(_mm_add_epi32(half, bias)), 52));
    const __m256d scale2 = _mm256_castsi256_pd(_mm256_slli_epi64(_mm256_cvtepi32_epi64(_mm_add_epi32(rest, bias)), 52));
    return _mm256_andnot_pd(underflow, _mm256_mul_pd(_mm256_mul_pd(p, scale1), scale2));
}

#define WEIGHT_BUCKET_SHIFT 20 /* HostDraw.BUCKET_SHIFT */

#define WEIGHT_BUCKETS (1 << (31 - WEIGHT_BUCKET_SHIFT))

/* HostDraw.weigh: weight[i] = e^((s[i] - max) / temperature) in double and their sum (in sixteen lanes), and
 * per bucket (a weight's float bits' high part) the weights' sum in index order and their count. */
static double weigh(const float* s, int n, double temperature, double* weight, double* mass, int32_t* count) {
    __m256 lanes_max = _mm256_set1_ps(-INFINITY);
    int i = 0;
    for (; i + 8 <= n; i += 8) {
        lanes_max = _mm256_max_ps(lanes_max, _mm256_loadu_ps(s + i));
    }
    float maxes[8];
    _mm256_storeu_ps(maxes, lanes_max);
    float max = -INFINITY;
    for (int j = 0; j < 8; j++) max = maxes[j] > max ? maxes[j] : max;
    for (; i < n; i++) max = s[i] > max ? s[i] : max;
    const __m256d vmax = _mm256_set1_pd(max), t = _mm256_set1_pd(temperature);
    __m256d sums[4] = {_mm256_setzero_pd(), _mm256_setzero_pd(), _mm256_setzero_pd(), _mm256_setzero_pd()};
    for (i = 0; i + 16 <= n; i += 16) {
        __m256d w[4];
        for (int v = 0; v < 4; v++) {
            w[v] = exp_nonpositive(_mm256_div_pd(_mm256_sub_pd(_mm256_cvtps_pd(_mm_loadu_ps(s + i + 4 * v)), vmax), t));
        }
        for (int v = 0; v < 4; v++) {
            _mm256_storeu_pd(weight + i + 4 * v, w[v]);
            sums[v] = _mm256_add_pd(sums[v], w[v]);
        }
    }
    for (; i < n; i += 4) {
        double x[4] = {0, 0, 0, 0}, w[4];
        const int m = n - i < 4 ? n - i : 4;
        for (int j = 0; j < m; j++) x[j] = ((double) s[i + j] - max) / temperature;
        _mm256_storeu_pd(w, exp_nonpositive(_mm256_loadu_pd(x)));
        for (int j = 0; j < m; j++) weight[i + j] = w[j];
        for (int j = m; j < 4; j++) w[j] = 0;
        sums[0] = _mm256_add_pd(sums[0], _mm256_loadu_pd(w));
    }
    double lanes[4];
    _mm256_storeu_pd(lanes, _mm256_add_pd(_mm256_add_pd(sums[0], sums[1]), _mm256_add_pd(sums[2], sums[3])));
    for (int j = 0; j < n; j++) {
        const float f = (float) weight[j];
        int32_t bits;
        memcpy(&bits, &f, sizeof bits);
        const int b = (bits & INT32_MAX) >> WEIGHT_BUCKET_SHIFT;
        mass[b] += weight[j];
        count[b]++;
    }
    return (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]);
}

/* The weights of scores[offset, offset + n) into weight[0, n), the buckets' masses and counts added to
 * mass and count (2^(31 - WEIGHT_BUCKET_SHIFT) each); returns the weights' sum. */
JNIEXPORT jdouble JNICALL Java_dev_phi4spark_udf_engine_NativeDecoder_nativeWeigh(JNIEnv* env, jclass cls,
        jfloatArray scores, jint offset, jint n, jdouble temperature, jdoubleArray weight, jdoubleArray mass,
        jintArray count) {
    const jsize buckets = WEIGHT_BUCKETS;
    if (scores == NULL || weight == NULL || mass == NULL || count == NULL || offset < 0 || n < 0
            || (*env)->GetArrayLength(env, scores) - offset < n || (*env)->GetArrayLength(env, weight) < n
            || (*env)->GetArrayLength(env, mass) != buckets || (*env)->GetArrayLength(env, count) != buckets) {
        throw_illegal(env, "Cannot weigh tokens: the arrays do not fit the row's scores and the buckets");
        return 0;
    }
    float* s = (*env)->GetPrimitiveArrayCritical(env, scores, NULL);
    double* w = (*env)->GetPrimitiveArrayCritical(env, weight, NULL);
    double* m = (*env)->GetPrimitiveArrayCritical(env, mass, NULL);
    int32_t* c = (*env)->GetPrimitiveArrayCritical(env, count, NULL);
    const double sum = s && w && m && c ? weigh(s + offset, n, temperature, w, m, c) : 0;
    if (c) (*env)->ReleasePrimitiveArrayCritical(env, count, c, 0);
    if (m) (*env)->ReleasePrimitiveArrayCritical(env, mass, m, 0);
    if (w) (*env)->ReleasePrimitiveArrayCritical(env, weight, w, 0);
    if (s) (*env)->ReleasePrimitiveArrayCritical(env, scores, s, JNI_ABORT);
    return sum;
}

/* ---------- a standalone driver for measuring the products (not part of the library's API) ----------
 *
 * gcc -O3 -mavx2 -mfma -fno-tree-loop-distribute-patterns -pthread -DPHI4DECODE_BENCH -I"$JAVA_HOME/include" -I"$JAVA_HOME/include/linux" \
 *     udf/src/main/c/phi4decode.c -lm -o /tmp/phi4decode-bench
 * /tmp/phi4decode-bench THREADS           the 150M bench model's products in a step's order (8 layers, lm_head)
 * /tmp/phi4decode-bench THREADS IN OUT    one [OUT, IN] matrix, 20 copies cycled so none stays in cache
 * /tmp/phi4decode-bench THREADS attention COLUMNS BATCH
 *                                         decode attention of the 150M model's 8 layers (16 heads over 4, head
 *                                         dim 64) over COLUMNS cache columns, against a plain read of the cache
 * Set PHI4_NO_AVX512=1 for the AVX2 path. */
#ifdef PHI4DECODE_BENCH
#include <stdio.h>

static double now(void) {
    return nanos() * 1e-9;
}

typedef struct {
    const float* p;
    size_t n;
    float sums[MAX_THREADS];
} read_t;

/* Thread t's share of a plain read (a sum), the reference the products are measured against. */
static void read_task(void* arg, int t, int nt) {
    read_t* r = arg;
    const size_t a = r->n * t / nt & ~(size_t) 31, b = t == nt - 1 ? r->n : r->n * (t + 1) / nt & ~(size_t) 31;
    __m256 s0 = _mm256_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
    size_t i = a;
    for (; i + 32 <= b; i += 32) {
        s0 = _mm256_add_ps(s0, _mm256_loadu_ps(r->p + i));
        s1 = _mm256_add_ps(s1, _mm256_loadu_ps(r->p + i + 8));
        s2 = _mm256_add_ps(s2, _mm256_loadu_ps(r->p + i + 16));
        s3 = _mm256_add_ps(s3, _mm256_loadu_ps(r->p + i + 24));
    }
    float s = hsum(_mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3)));
    for (; i < b; i++) {
        s += r->p[i];
    }
    r->sums[t] = s;
}

static float* matrix(size_t n, int seed) {
    float* w = aligned_alloc(64, sizeof(float) * ((n + 15) & ~(size_t) 15));
    for (size_t i = 0; i < n; i++) {
        w[i] = (float) ((i * 7 + (size_t) seed) % 13) * 0.01f;
    }
    return w;
}

/* One decode step's attention (8 layers, each its own cache) over `end` columns, timed against reading the
 * same keys and values once. */
static int attention_bench(int end, int batch) {
    model_t m = {.layers = 8, .heads = 16, .kv_heads = 4, .head_dim = 64};
    const int hd = 64, qkv_dim = (16 + 2 * 4) * hd, capacity = end + 64;
    const size_t cache = (size_t) batch * 4 * capacity * hd;
    float* keys[8];
    float* values[8];
    for (int l = 0; l < 8; l++) {
        keys[l] = matrix(cache, l);
        values[l] = matrix(cache, 100 + l);
    }
    float* qkv = matrix((size_t) batch * qkv_dim, 7);
    float* bias = calloc((size_t) batch * end, sizeof(float));
    float* att = malloc(sizeof(float) * (size_t) batch * 16 * hd);
    const double bytes = 8.0 * 2 * batch * 4 * (double) end * hd * 4;
    double best = 1e9, sum = 0, read_best = 1e9;
    for (int rep = 0; rep < 30; rep++) {
        double t0 = now();
        for (int l = 0; l < 8; l++) {
            attention_t a = {&m, batch, 1, end, capacity, qkv, bias, batch, keys[l], values[l], att, NULL, l};
            parallel(attention_task, &a);
        }
        double t = now() - t0;
        if (rep >= 5) {
            sum += t;
            best = t < best ? t : best;
        }
        t0 = now();
        for (int l = 0; l < 8; l++) {
            for (int c = 0; c < batch * 4; c++) { /* each row's key/value head: its first `end` columns */
                read_t k = {keys[l] + (size_t) c * capacity * hd, (size_t) end * hd, {0}};
                parallel(read_task, &k);
                read_t v = {values[l] + (size_t) c * capacity * hd, (size_t) end * hd, {0}};
                parallel(read_task, &v);
            }
        }
        t = now() - t0;
        read_best = t < read_best ? t : read_best;
    }
    printf("attention, %d columns, batch %d, %d threads: mean %.3f ms, best %.3f ms (%.1f GB/s of keys and values);"
           " plain read best %.3f ms (%.1f GB/s)\n", end, batch, threads, sum / 25 * 1e3, best * 1e3,
           bytes / best / 1e9, read_best * 1e3, bytes / read_best / 1e9);
    return 0;
}

int main(int argc, char** argv) {
    wanted_threads = argc > 1 ? atoi(argv[1]) : 2;
    pthread_once(&once, start_pool);
    if (argc > 4 && strcmp(argv[2], "attention") == 0) {
        return attention_bench(atoi(argv[3]), atoi(argv[4]));
    }
    /* [out, in] of each product: per layer qkv, o_proj, gate_up, down; then the lm_head. */
    int shapes[33][2];
    int count = 0;
    if (argc > 3) {
        for (; count < 20; count++) {
            shapes[count][0] = atoi(argv[3]);
            shapes[count][1] = atoi(argv[2]);
        }
    } else {
        const int layer[4][2] = {{1536, 1024}, {1024, 1024}, {5632, 1024}, {1024, 2816}};
        for (int l = 0; l < 8; l++) {
            for (int j = 0; j < 4; j++, count++) {
                shapes[count][0] = layer[j][0];
                shapes[count][1] = layer[j][1];
            }
        }
        shapes[count][0] = 32064;
        shapes[count++][1] = 1024;
    }
    float* w[33];
    double bytes = 0;
    int widest = 0;
    for (int c = 0; c < count; c++) {
        w[c] = matrix((size_t) shapes[c][0] * shapes[c][1], c);
        bytes += 4.0 * shapes[c][0] * shapes[c][1];
        widest = shapes[c][0] > widest ? shapes[c][0] : widest;
        widest = shapes[c][1] > widest ? shapes[c][1] : widest;
    }
    float* x = matrix((size_t) 32 * widest, 99);
    float* y = malloc(sizeof(float) * 32 * (size_t) widest);
    printf("%d products, %.0f MB, %d threads, %s\n", count, bytes / 1e6, threads, use_512 ? "AVX-512" : "AVX2");
    double read_best = 1e9, read_sum = 0;
    for (int rep = 0; rep < 12; rep++) {
        double t0 = now();
        for (int c = 0; c < count; c++) {
            read_t r = {w[c], (size_t) shapes[c][0] * shapes[c][1], {0}};
            parallel(read_task, &r);
        }
        double t = now() - t0;
        if (rep >= 2) {
            read_sum += t;
            read_best = t < read_best ? t : read_best;
        }
    }
    printf("plain read: mean %.2f ms (%.1f GB/s), best %.2f ms (%.1f GB/s)\n", read_sum / 10 * 1e3,
           bytes / (read_sum / 10) / 1e9, read_best * 1e3, bytes / read_best / 1e9);
    const int sizes[] = {1, 2, 3, 4, 5, 6, 7, 8, 12, 16, 32};
    for (int si = 0; si < 11; si++) {
        double best = 1e9, sum = 0;
        for (int rep = 0; rep < 12; rep++) {
            double t0 = now();
            for (int c = 0; c < count; c++) {
                product(x, sizes[si], shapes[c][1], w[c], y, shapes[c][0]);
            }
            double t = now() - t0;
            if (rep >= 2) {
                sum += t;
                best = t < best ? t : best;
            }
        }
        printf("rows %2d: mean %.2f ms (%.1f GB/s, %.1f GFLOP/s), best %.2f ms (%.1f GB/s)\n", sizes[si],
               sum / 10 * 1e3, bytes / (sum / 10) / 1e9, bytes / 2 * sizes[si] / (sum / 10) / 1e9, best * 1e3,
               bytes / best / 1e9);
    }
    return 0;
}
#endif
