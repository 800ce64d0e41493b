/*
 * OpenBLAS sgemm anchor for `npm run bench`.
 *
 *   sgemm_openblas THREADS MxKxN [MxKxN ...]
 *
 * For each shape: C[M,N] = A[M,K] * B[K,N], float32, row-major, no transposes, inputs uniform
 * in [-1, 1). One warm-up call, then repeated calls for about one second (at least 3); the
 * best time gives GFLOP/s = 2*M*N*K / seconds / 1e9. Prints one JSON line per shape.
 *
 * Build: cc -O2 -o sgemm_openblas sgemm_openblas.c -lopenblas
 */
#define _POSIX_C_SOURCE 199309L
#include <cblas.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

/* Declared by OpenBLAS's cblas.h, but not by every cblas.h on the include path. */
extern void openblas_set_num_threads(int num_threads);

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* xorshift64*: a tiny seeded generator, so every run uses the same inputs. */
static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static float next_uniform(void) {
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  uint64_t r = rng_state * 0x2545f4914f6cdd1dULL;
  return (float)((double)(r >> 40) / 16777216.0 * 2.0 - 1.0);
}

static float *random_matrix(size_t count) {
  float *p = (float *)malloc(count * sizeof(float));
  if (!p) return NULL;
  for (size_t i = 0; i < count; i++) p[i] = next_uniform();
  return p;
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: %s THREADS MxKxN [MxKxN ...]\n", argv[0]);
    return 2;
  }
  int threads = atoi(argv[1]);
  if (threads < 1) {
    fprintf(stderr, "sgemm_openblas: THREADS must be a positive integer, got '%s'\n", argv[1]);
    return 2;
  }
  openblas_set_num_threads(threads);

  for (int a = 2; a < argc; a++) {
    int m = 0, k = 0, n = 0;
    if (sscanf(argv[a], "%dx%dx%d", &m, &k, &n) != 3 || m < 1 || k < 1 || n < 1) {
      fprintf(stderr, "sgemm_openblas: bad shape '%s' (expected MxKxN)\n", argv[a]);
      return 2;
    }
    float *A = random_matrix((size_t)m * k);
    float *B = random_matrix((size_t)k * n);
    float *C = (float *)calloc((size_t)m * n, sizeof(float));
    if (!A || !B || !C) {
      fprintf(stderr, "sgemm_openblas: out of memory for %s\n", argv[a]);
      return 1;
    }

    /* Warm-up: thread pool start, page faults, caches. */
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, k, 1.0f, A, k, B, n, 0.0f, C, n);

    double best = 1e30, spent = 0.0;
    int runs = 0;
    while (runs < 3 || (spent < 1.0 && runs < 1000)) {
      double t0 = now_s();
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, k, 1.0f, A, k, B, n, 0.0f, C,
                  n);
      double dt = now_s() - t0;
      if (dt < best) best = dt;
      spent += dt;
      runs++;
    }

    /* Use the result so the call cannot be elided; also catches NaN from a broken library. */
    double check = 0.0;
    for (size_t i = 0; i < (size_t)m * n; i += 997) check += C[i];
    if (check != check) {
      fprintf(stderr, "sgemm_openblas: NaN in the result for %s\n", argv[a]);
      return 1;
    }

    double gflops = 2.0 * (double)m * (double)n * (double)k / best / 1e9;
    printf("{\"m\":%d,\"k\":%d,\"n\":%d,\"threads\":%d,\"gflops\":%.3f}\n", m, k, n, threads,
           gflops);
    fflush(stdout);
    free(A);
    free(B);
    free(C);
  }
  return 0;
}
