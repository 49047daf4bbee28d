/*
 * Small products for decode steps on x86-64 CPUs: y[rows, n] = x[rows, k] . w[k, n], float32, w a
 * contiguous [in, out] weight matrix. libtorch hands such products (1 to 32 rows) to MKL, which runs a
 * one-row product on one thread and a few-row one far below the FMA rate (docs/benchmarks.md); a decode
 * step is that product over every weight, so it sets decode speed. Here the output columns are split
 * across a small persistent thread pool, and each thread streams its columns of w once per call,
 * four rows of w at a time, with the activations broadcast from L1.
 *
 * Called from Java (dev.phi4spark.udf.engine.NativeProducts) on direct buffers of libtorch tensors.
 * Built with AVX2 and FMA; Java checks nativeSupported() before any product.
 */
#include <jni.h>
#include <immintrin.h>
#include <linux/futex.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define MAX_THREADS 64
#define COLUMN_BLOCK 256   /* floats of a w row per pass: 4 rows x 1 KB stay in L1 across the x rows */
#define SPIN_ROUNDS 4000   /* pause loops a worker spins before it sleeps (tens of microseconds) */

typedef struct {
    const float* x;
    const float* w;
    float* y;
    int rows, k, n;
} job_t;

static job_t job;
static int threads = 1;
static pthread_t workers[MAX_THREADS];
static atomic_int generation;   /* bumped per job; workers wait on it */
static atomic_int pending;      /* workers still running the current job */
static pthread_mutex_t call_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void futex_wait(atomic_int* addr, int expected) {
    syscall(SYS_futex, (int*) addr, FUTEX_WAIT_PRIVATE, expected, NULL, NULL, 0);
}

static void futex_wake_all(atomic_int* addr) {
    syscall(SYS_futex, (int*) addr, FUTEX_WAKE_PRIVATE, INT32_MAX, NULL, NULL, 0);
}

/* Columns [c0, c1) of y for every row: y = x . w[:, c0:c1]. */
static void columns(const job_t* j, int c0, int c1) {
    const int k = j->k, n = j->n, rows = j->rows;
    for (int b0 = c0; b0 < c1; b0 += COLUMN_BLOCK) {
        const int b1 = b0 + COLUMN_BLOCK < c1 ? b0 + COLUMN_BLOCK : c1;
        const int vec_end = b0 + ((b1 - b0) & ~7);
        for (int r = 0; r < rows; r++) {
            memset(j->y + (size_t) r * n + b0, 0, sizeof(float) * (size_t) (b1 - b0));
        }
        int i = 0;
        for (; i + 4 <= k; i += 4) {
            const float* w0 = j->w + (size_t) i * n;
            const float* w1 = w0 + n;
            const float* w2 = w1 + n;
            const float* w3 = w2 + n;
            for (int r = 0; r < rows; r++) {
                const float* xr = j->x + (size_t) r * k + i;
                float* yr = j->y + (size_t) r * n;
                const __m256 x0 = _mm256_broadcast_ss(xr), x1 = _mm256_broadcast_ss(xr + 1);
                const __m256 x2 = _mm256_broadcast_ss(xr + 2), x3 = _mm256_broadcast_ss(xr + 3);
                int c = b0;
                for (; c < vec_end; c += 8) {
                    __m256 acc = _mm256_loadu_ps(yr + c);
                    acc = _mm256_fmadd_ps(x0, _mm256_loadu_ps(w0 + c), acc);
                    acc = _mm256_fmadd_ps(x1, _mm256_loadu_ps(w1 + c), acc);
                    acc = _mm256_fmadd_ps(x2, _mm256_loadu_ps(w2 + c), acc);
                    acc = _mm256_fmadd_ps(x3, _mm256_loadu_ps(w3 + c), acc);
                    _mm256_storeu_ps(yr + c, acc);
                }
                for (; c < b1; c++) {
                    yr[c] += xr[0] * w0[c] + xr[1] * w1[c] + xr[2] * w2[c] + xr[3] * w3[c];
                }
            }
        }
        for (; i < k; i++) {
            const float* wi = j->w + (size_t) i * n;
            for (int r = 0; r < rows; r++) {
                const float xv = j->x[(size_t) r * k + i];
                float* yr = j->y + (size_t) r * n;
                for (int c = b0; c < b1; c++) {
                    yr[c] += xv * wi[c];
                }
            }
        }
    }
}

/* Thread t's share of the columns, in whole vectors. */
static void share(const job_t* j, int t) {
    const int vectors = (j->n + 7) / 8;
    const int c0 = (int) ((long) vectors * t / threads) * 8;
    int c1 = (int) ((long) vectors * (t + 1) / threads) * 8;
    if (c1 > j->n) {
        c1 = j->n;
    }
    if (c0 < c1) {
        columns(j, c0, c1);
    }
}

static void* worker(void* arg) {
    const int t = (int) (intptr_t) arg;
    int seen = atomic_load(&generation);
    for (;;) {
        int now;
        int spins = 0;
        while ((now = atomic_load_explicit(&generation, memory_order_acquire)) == seen) {
            if (++spins < SPIN_ROUNDS) {
                _mm_pause();
            } else {
                futex_wait(&generation, seen);
            }
        }
        seen = now;
        share(&job, t);
        if (atomic_fetch_sub_explicit(&pending, 1, memory_order_acq_rel) == 1) {
            futex_wake_all(&pending);
        }
    }
    return NULL;
}

static int wanted_threads = 1;

static void start_pool(void) {
    threads = wanted_threads < 1 ? 1 : wanted_threads > MAX_THREADS ? MAX_THREADS : wanted_threads;
    for (int t = 1; t < threads; t++) {
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        if (pthread_create(&workers[t], &attr, worker, (void*) (intptr_t) t) != 0) {
            threads = t; /* run with the workers that started */
            pthread_attr_destroy(&attr);
            break;
        }
        pthread_attr_destroy(&attr);
    }
}

static void product(const float* x, const float* w, float* y, int rows, int k, int n) {
    pthread_mutex_lock(&call_lock);
    job.x = x;
    job.w = w;
    job.y = y;
    job.rows = rows;
    job.k = k;
    job.n = n;
    if (threads > 1) {
        atomic_store_explicit(&pending, threads - 1, memory_order_relaxed);
        atomic_fetch_add_explicit(&generation, 1, memory_order_release);
        futex_wake_all(&generation);
    }
    share(&job, 0);
    int left;
    int spins = 0;
    while ((left = atomic_load_explicit(&pending, memory_order_acquire)) != 0 && threads > 1) {
        if (++spins < SPIN_ROUNDS * 4) {
            _mm_pause();
        } else {
            futex_wait(&pending, left);
        }
    }
    pthread_mutex_unlock(&call_lock);
}

static void throw_illegal(JNIEnv* env, const char* message) {
    jclass c = (*env)->FindClass(env, "java/lang/IllegalArgumentException");
    if (c != NULL) {
        (*env)->ThrowNew(env, c, message);
    }
}

JNIEXPORT jboolean JNICALL Java_dev_phi4spark_udf_engine_NativeProducts_nativeSupported(JNIEnv* env, jclass cls) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") ? JNI_TRUE : JNI_FALSE;
}

JNIEXPORT jint JNICALL Java_dev_phi4spark_udf_engine_NativeProducts_nativeStart(JNIEnv* env, jclass cls, jint n) {
    wanted_threads = n;
    pthread_once(&once, start_pool);
    return threads;
}

JNIEXPORT void JNICALL Java_dev_phi4spark_udf_engine_NativeProducts_nativeProduct(JNIEnv* env, jclass cls,
        jobject x, jobject w, jobject y, jint rows, jint k, jint n) {
    const float* xp = (*env)->GetDirectBufferAddress(env, x);
    const float* wp = (*env)->GetDirectBufferAddress(env, w);
    float* yp = (*env)->GetDirectBufferAddress(env, y);
    if (xp == NULL || wp == NULL || yp == NULL) {
        throw_illegal(env, "Cannot multiply: a buffer is not direct");
        return;
    }
    if (rows < 1 || k < 1 || n < 1
            || (*env)->GetDirectBufferCapacity(env, x) < (jlong) rows * k * 4
            || (*env)->GetDirectBufferCapacity(env, w) < (jlong) k * n * 4
            || (*env)->GetDirectBufferCapacity(env, y) < (jlong) rows * n * 4) {
        throw_illegal(env, "Cannot multiply: a buffer is smaller than its shape");
        return;
    }
    pthread_once(&once, start_pool);
    product(xp, wp, yp, rows, k, n);
}
