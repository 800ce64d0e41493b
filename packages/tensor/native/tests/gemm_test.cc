// Standalone correctness test and micro-benchmark for kernels/gemm.cc.
//
//   ./gemm_test            correctness tests (exit status 1 on any failure)
//   ./gemm_test bench      GFLOP/s for the benchmark shapes at 1 and 2 threads
//   OELLM_GEMM_KERNEL=portable ./gemm_test   the same with the portable micro-kernel
//
// The reference is a naive double-precision loop; a float result passes if it is within
// (K + 4) * FLT_EPSILON * sum_p |a_ip * b_pj| of it (plus the |C| term when accumulating).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "../kernels/gemm.h"
#include "../kernels/thread_pool.h"

using oellm::ThreadPool;

namespace {

int g_failures = 0;
int g_checks = 0;

#define CHECK(cond, ...)                                 \
  do {                                                   \
    g_checks++;                                          \
    if (!(cond)) {                                       \
      if (g_failures < 30) {                             \
        std::printf("FAIL %s:%d: ", __FILE__, __LINE__); \
        std::printf(__VA_ARGS__);                        \
        std::printf("\n");                               \
      }                                                  \
      g_failures++;                                      \
    }                                                    \
  } while (0)

std::mt19937_64 rng(12345);

int64_t rand_int(int64_t lo, int64_t hi) { return std::uniform_int_distribution<int64_t>(lo, hi)(rng); }

void fill_random(std::vector<float>& v) {
  std::uniform_real_distribution<float> d(-1.0f, 1.0f);
  for (auto& x : v) x = d(rng);
}

// A stored operand: `rows x cols` with row stride ld >= cols, plus a sentinel border.
struct Mat {
  int64_t rows = 0, cols = 0, ld = 0;
  std::vector<float> data;
  Mat(int64_t r, int64_t c, int64_t pad) : rows(r), cols(c), ld(c + pad) {
    data.resize(static_cast<size_t>(std::max<int64_t>(1, rows * ld)));
    fill_random(data);
  }
  float* p() { return data.data(); }
};

// Reference: C = [C +] op(A) op(B) in double; also returns the error scale per element.
void reference(int64_t M, int64_t N, int64_t K, const float* A, int64_t lda, bool tA, const float* B, int64_t ldb,
               bool tB, const float* C0, int64_t ldc, bool acc, std::vector<double>& ref,
               std::vector<double>& scale) {
  ref.assign(static_cast<size_t>(M * N), 0.0);
  scale.assign(static_cast<size_t>(M * N), 0.0);
  for (int64_t i = 0; i < M; i++) {
    for (int64_t j = 0; j < N; j++) {
      double s = 0, sa = 0;
      for (int64_t p = 0; p < K; p++) {
        const double a = tA ? A[p * lda + i] : A[i * lda + p];
        const double b = tB ? B[j * ldb + p] : B[p * ldb + j];
        s += a * b;
        sa += std::fabs(a * b);
      }
      if (acc) {
        s += C0[i * ldc + j];
        sa += std::fabs(C0[i * ldc + j]);
      }
      ref[i * N + j] = s;
      scale[i * N + j] = sa;
    }
  }
}

// Checks C (M x N, ldc) against ref, and that C's padding still holds the sentinel.
bool compare(const char* what, int64_t M, int64_t N, int64_t K, const float* C, int64_t ldc, int64_t c_rows,
             const std::vector<double>& ref, const std::vector<double>& scale, float sentinel) {
  const double eps = std::numeric_limits<float>::epsilon();
  for (int64_t i = 0; i < c_rows; i++) {
    for (int64_t j = 0; j < ldc; j++) {
      const float got = C[i * ldc + j];
      if (i < M && j < N) {
        const double want = ref[i * N + j];
        const double tol = (double(K) + 4.0) * eps * scale[i * N + j] + 1e-30;
        if (!(std::fabs(double(got) - want) <= tol)) {
          CHECK(false, "%s M=%lld N=%lld K=%lld: C[%lld,%lld]=%.9g want %.9g (tol %.3g)", what, (long long)M,
                (long long)N, (long long)K, (long long)i, (long long)j, got, want, tol);
          return false;
        }
      } else if (std::memcmp(&got, &sentinel, sizeof(float)) != 0) {
        CHECK(false, "%s M=%lld N=%lld K=%lld: padding C[%lld,%lld] overwritten", what, (long long)M, (long long)N,
              (long long)K, (long long)i, (long long)j);
        return false;
      }
    }
  }
  g_checks++;
  return true;
}

// One sgemm against the reference. pads = extra elements per row of A, B, C.
void test_one(ThreadPool& pool, int64_t M, int64_t N, int64_t K, bool tA, bool tB, bool acc, int64_t padA,
              int64_t padB, int64_t padC) {
  Mat A = tA ? Mat(K, M, padA) : Mat(M, K, padA);
  Mat B = tB ? Mat(N, K, padB) : Mat(K, N, padB);
  const int64_t ldc = N + padC;
  const float sentinel = 12345.678f;
  std::vector<float> C(static_cast<size_t>(std::max<int64_t>(1, M * ldc)), sentinel);
  std::vector<float> C0(C.size());
  fill_random(C0);
  for (int64_t i = 0; i < M; i++)
    for (int64_t j = 0; j < N; j++)
      C[i * ldc + j] = acc ? C0[i * ldc + j] : std::numeric_limits<float>::quiet_NaN();  // must be ignored
  std::vector<double> ref, scale;
  reference(M, N, K, A.p(), A.ld, tA, B.p(), B.ld, tB, C0.data(), ldc, acc, ref, scale);
  oellm::sgemm(M, N, K, A.p(), A.ld, tA, B.p(), B.ld, tB, C.data(), ldc, acc, pool);
  char what[96];
  std::snprintf(what, sizeof what, "sgemm T=%d tA=%d tB=%d acc=%d lds=%lld,%lld,%lld", pool.size(), tA, tB, acc,
                (long long)A.ld, (long long)B.ld, (long long)ldc);
  compare(what, M, N, K, C.data(), ldc, M, ref, scale, sentinel);
}

void test_sizes(ThreadPool& pool) {
  const int64_t special[] = {1, 5, 6, 7, 15, 16, 17, 63, 64, 65, 255, 257};
  const int ns = sizeof(special) / sizeof(special[0]);
  for (int tA = 0; tA < 2; tA++) {
    for (int tB = 0; tB < 2; tB++) {
      for (int acc = 0; acc < 2; acc++) {
        // Every special size in each role, with the other two dimensions small or random.
        for (int s = 0; s < ns; s++) {
          const int64_t v = special[s];
          const int64_t o1 = special[rand_int(0, 7)], o2 = special[rand_int(0, 9)];
          test_one(pool, v, o1, o2, tA, tB, acc, rand_int(0, 9), rand_int(0, 9), rand_int(0, 9));
          test_one(pool, o2, v, o1, tA, tB, acc, rand_int(0, 9), rand_int(0, 9), rand_int(0, 9));
          test_one(pool, o1, o2, v, tA, tB, acc, rand_int(0, 9), rand_int(0, 9), rand_int(0, 9));
        }
        // Random shapes, some crossing the MC / KC / NC block sizes.
        for (int r = 0; r < 6; r++) {
          test_one(pool, rand_int(1, 300), rand_int(1, 300), rand_int(1, 450), tA, tB, acc, rand_int(0, 5),
                   rand_int(0, 5), rand_int(0, 5));
        }
        // Skinny shapes (matrix-vector paths): few rows, or one column, K across blocks.
        for (int64_t m = 1; m <= 5; m++) test_one(pool, m, rand_int(1, 700), rand_int(1, 400), tA, tB, acc, 1, 2, 3);
        test_one(pool, rand_int(1, 700), 1, rand_int(1, 400), tA, tB, acc, 2, 3, 1);
        test_one(pool, 3, 1000, 300, tA, tB, acc, 0, 0, 0);
        test_one(pool, 1000, 1, 300, tA, tB, acc, 0, 0, 0);
        test_one(pool, 4, 3001, 600, tA, tB, acc, 1, 0, 2);   // big enough to use the threads
        test_one(pool, 3001, 1, 1600, tA, tB, acc, 0, 1, 2);
        test_one(pool, 257, 255, 257, tA, tB, acc, 3, 1, 2);
        test_one(pool, 7, 3100, 65, tA, tB, acc, 1, 2, 3);     // N crosses NC
        test_one(pool, 400, 17, 800, tA, tB, acc, 0, 0, 0);    // M crosses MC, K = two k blocks
        test_one(pool, 1, 1, 1, tA, tB, acc, 0, 0, 0);
        test_one(pool, 1, 1000, 1, tA, tB, acc, 0, 5, 0);
        test_one(pool, 1000, 1, 3, tA, tB, acc, 0, 0, 5);
        test_one(pool, 1700, 37, 20, tA, tB, acc, 2, 1, 0);   // M crosses the row super-block
        test_one(pool, 9, 2100, 1100, tA, tB, acc, 0, 3, 1);  // N crosses NC, K = three k blocks
      }
    }
  }
}

// K = 0: C = 0, or unchanged when accumulating. M = 0 / N = 0: nothing touched.
void test_degenerate(ThreadPool& pool) {
  for (int acc = 0; acc < 2; acc++) {
    const int64_t M = 5, N = 7, ldc = 9;
    std::vector<float> C(M * ldc, 3.5f), A(1, 1.0f), B(1, 1.0f);
    oellm::sgemm(M, N, 0, A.data(), 1, false, B.data(), 1, false, C.data(), ldc, acc, pool);
    bool ok = true;
    for (int64_t i = 0; i < M; i++)
      for (int64_t j = 0; j < ldc; j++) ok &= C[i * ldc + j] == ((j < N && !acc) ? 0.0f : 3.5f);
    CHECK(ok, "K=0 acc=%d", acc);
    std::vector<float> D(16, 2.0f);
    oellm::sgemm(0, 4, 3, A.data(), 3, false, B.data(), 4, false, D.data(), 4, acc, pool);
    oellm::sgemm(4, 0, 3, A.data(), 3, false, B.data(), 0, false, D.data(), 4, acc, pool);
    ok = true;
    for (float x : D) ok &= x == 2.0f;
    CHECK(ok, "M=0 / N=0 touched C");
  }
}

// Batched, including stride-0 broadcast of A, of B, and of C (accumulating into one C).
void test_batched(ThreadPool& pool) {
  struct Case {
    int64_t batch, M, N, K;
    bool bcastA, bcastB, tA, tB, acc;
  };
  const Case cases[] = {
      {32, 37, 29, 19, false, false, false, true, false},  {32, 128, 128, 64, false, false, false, true, false},
      {3, 200, 150, 70, false, true, false, false, false}, {5, 16, 65, 7, true, false, true, false, true},
      {2, 300, 40, 300, false, false, true, true, true},   {7, 1, 1, 1, false, false, false, false, false},
      {4, 9, 17, 0, false, false, false, false, false},    {1, 64, 64, 64, false, false, false, false, true},
  };
  for (const Case& cs : cases) {
    const int64_t padA = 2, padB = 3, padC = 1;
    const int64_t aRows = cs.tA ? cs.K : cs.M, aCols = cs.tA ? cs.M : cs.K;
    const int64_t bRows = cs.tB ? cs.N : cs.K, bCols = cs.tB ? cs.K : cs.N;
    const int64_t lda = aCols + padA, ldb = bCols + padB, ldc = cs.N + padC;
    const int64_t sA = cs.bcastA ? 0 : aRows * lda + 5, sB = cs.bcastB ? 0 : bRows * ldb + 3, sC = cs.M * ldc + 4;
    std::vector<float> A((cs.bcastA ? 1 : cs.batch) * std::max<int64_t>(1, sA + aRows * lda));
    std::vector<float> B((cs.bcastB ? 1 : cs.batch) * std::max<int64_t>(1, sB + bRows * ldb));
    fill_random(A);
    fill_random(B);
    const float sentinel = -777.25f;
    std::vector<float> C(cs.batch * sC, sentinel), C0(C.size());
    fill_random(C0);
    for (int64_t t = 0; t < cs.batch; t++)
      for (int64_t i = 0; i < cs.M; i++)
        for (int64_t j = 0; j < cs.N; j++) C[t * sC + i * ldc + j] = cs.acc ? C0[t * sC + i * ldc + j] : NAN;
    oellm::sgemm_batched(cs.batch, cs.M, cs.N, cs.K, A.data(), sA, lda, cs.tA, B.data(), sB, ldb, cs.tB, C.data(),
                         sC, ldc, cs.acc, pool);
    for (int64_t t = 0; t < cs.batch; t++) {
      std::vector<double> ref, scale;
      reference(cs.M, cs.N, cs.K, A.data() + t * sA, lda, cs.tA, B.data() + t * sB, ldb, cs.tB,
                C0.data() + t * sC, ldc, cs.acc, ref, scale);
      char what[64];
      std::snprintf(what, sizeof what, "batched T=%d b=%lld/%lld", pool.size(), (long long)t, (long long)cs.batch);
      // Rows 0..M-1 of this entry, then its 4 trailing padding floats up to the next entry.
      if (!compare(what, cs.M, cs.N, cs.K, C.data() + t * sC, ldc, cs.M, ref, scale, sentinel)) break;
      for (int64_t x = cs.M * ldc; x < sC; x++) CHECK(C[t * sC + x] == sentinel, "batched gap overwritten");
    }
  }
  // strideC == 0 with accumulate: every product is added into the one C, in order.
  {
    const int64_t batch = 6, M = 70, N = 50, K = 40;
    std::vector<float> A(batch * M * K), B(K * N), C(M * N), C0(M * N);
    fill_random(A);
    fill_random(B);
    fill_random(C0);
    C = C0;
    oellm::sgemm_batched(batch, M, N, K, A.data(), M * K, K, false, B.data(), 0, N, false, C.data(), 0, N, true, pool);
    std::vector<double> want(M * N), scale(M * N);
    for (int64_t i = 0; i < M * N; i++) want[i] = C0[i], scale[i] = std::fabs(C0[i]);
    for (int64_t t = 0; t < batch; t++) {
      std::vector<double> r, s;
      reference(M, N, K, A.data() + t * M * K, K, false, B.data(), N, false, nullptr, N, false, r, s);
      for (int64_t i = 0; i < M * N; i++) want[i] += r[i], scale[i] += s[i];
    }
    compare("batched strideC=0 accumulate", M, N, K * batch, C.data(), N, M, want, scale, 0.0f);
  }
}

// Same inputs twice -> bit-identical output; also identical across thread counts.
void test_determinism(ThreadPool* pools[], int npools) {
  const int64_t shapes[][3] = {{300, 500, 700}, {1024, 256, 512}, {64, 2000, 100}, {513, 77, 1000},
                               {3, 5000, 700}, {2000, 1, 900}};
  for (auto& sh : shapes) {
    const int64_t M = sh[0], N = sh[1], K = sh[2];
    std::vector<float> A(M * K), B(K * N);
    fill_random(A);
    fill_random(B);
    std::vector<float> first;
    for (int pi = 0; pi < npools; pi++) {
      for (int rep = 0; rep < 2; rep++) {
        std::vector<float> C(M * N);
        oellm::sgemm(M, N, K, A.data(), K, false, B.data(), N, false, C.data(), N, false, *pools[pi]);
        if (first.empty()) {
          first = C;
        } else {
          const bool same = std::memcmp(first.data(), C.data(), C.size() * sizeof(float)) == 0;
          CHECK(same, "determinism M=%lld N=%lld K=%lld T=%d rep=%d differs from T=%d rep=0", (long long)M,
                (long long)N, (long long)K, pools[pi]->size(), rep, pools[0]->size());
        }
      }
    }
  }
}

// ------------------------------------------------------------------------------------------
// Benchmark

double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// Best-of GFLOP/s over repeated runs for about `budget` seconds.
double bench_one(ThreadPool& pool, int64_t M, int64_t N, int64_t K, bool tA, bool tB, double budget) {
  std::vector<float> A(M * K), B(K * N), C(M * N);
  fill_random(A);
  fill_random(B);
  const int64_t lda = tA ? M : K, ldb = tB ? K : N;
  oellm::sgemm(M, N, K, A.data(), lda, tA, B.data(), ldb, tB, C.data(), N, false, pool);  // warm up
  double best = 1e30, start = now_s();
  int reps = 0;
  while (reps < 3 || (now_s() - start < budget && reps < 1000)) {
    const double t0 = now_s();
    oellm::sgemm(M, N, K, A.data(), lda, tA, B.data(), ldb, tB, C.data(), N, false, pool);
    best = std::min(best, now_s() - t0);
    reps++;
  }
  return 2.0 * M * N * K / best * 1e-9;
}

double bench_batched(ThreadPool& pool, int64_t batch, int64_t M, int64_t N, int64_t K, bool tB, double budget) {
  std::vector<float> A(batch * M * K), B(batch * K * N), C(batch * M * N);
  fill_random(A);
  fill_random(B);
  const int64_t ldb = tB ? K : N;
  auto run = [&] {
    oellm::sgemm_batched(batch, M, N, K, A.data(), M * K, K, false, B.data(), K * N, ldb, tB, C.data(), M * N, N,
                         false, pool);
  };
  run();
  double best = 1e30, start = now_s();
  int reps = 0;
  while (reps < 3 || (now_s() - start < budget && reps < 1000)) {
    const double t0 = now_s();
    run();
    best = std::min(best, now_s() - t0);
    reps++;
  }
  return 2.0 * batch * M * N * K / best * 1e-9;
}

int bench(int argc, char** argv) {
  const double budget = argc > 2 ? std::atof(argv[2]) : 0.4;
  ThreadPool p1(1), p2(2);
  std::printf("kernel: %s\n", oellm::gemm_kernel_name().c_str());
  std::printf("%-34s %10s %10s\n", "shape (M x K) x (K x N)", "1 thread", "2 threads");
  struct Shape {
    int64_t M, K, N;
    bool tA, tB;
  };
  const Shape shapes[] = {
      {256, 256, 256, false, false},   {512, 512, 512, false, false},    {1024, 1024, 1024, false, false},
      {2048, 2048, 2048, false, false}, {1024, 256, 1024, false, false}, {1024, 1024, 256, false, false},
      {1024, 256, 8192, false, false},  {1024, 1024, 1024, true, false}, {1024, 1024, 1024, false, true},
      {1024, 1024, 1024, true, true},   {64, 64, 64, false, false},       {128, 128, 128, false, false},
      {1, 4096, 4096, false, true},     {1, 4096, 4096, false, false},    {4096, 4096, 1, false, false},
  };
  for (const Shape& s : shapes) {
    char name[64];
    std::snprintf(name, sizeof name, "[%lldx%lld]x[%lldx%lld]%s%s", (long long)s.M, (long long)s.K, (long long)s.K,
                  (long long)s.N, s.tA ? " tA" : "", s.tB ? " tB" : "");
    const double g1 = bench_one(p1, s.M, s.N, s.K, s.tA, s.tB, budget);
    const double g2 = bench_one(p2, s.M, s.N, s.K, s.tA, s.tB, budget);
    std::printf("%-34s %10.1f %10.1f\n", name, g1, g2);
    std::fflush(stdout);
  }
  const double b1 = bench_batched(p1, 32, 128, 128, 64, true, budget);
  const double b2 = bench_batched(p2, 32, 128, 128, 64, true, budget);
  std::printf("%-34s %10.1f %10.1f\n", "batched 32 x [128x64]x[64x128] tB", b1, b2);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1 && std::strcmp(argv[1], "bench") == 0) return bench(argc, argv);

  const char* env = std::getenv("OELLM_GEMM_KERNEL");
  const std::string& kname = oellm::gemm_kernel_name();
  std::printf("gemm_test: kernel %s\n", kname.c_str());
  CHECK(kname == "avx2-fma" || kname == "portable", "unknown kernel name %s", kname.c_str());
  if (env != nullptr && std::strcmp(env, "portable") == 0) CHECK(kname == "portable", "env did not force portable");

  ThreadPool p1(1), p2(2), p3(3);
  ThreadPool* pools[] = {&p1, &p2, &p3};
  for (ThreadPool* p : pools) {
    test_degenerate(*p);
    test_sizes(*p);
    test_batched(*p);
  }
  test_determinism(pools, 3);

  std::printf("gemm_test: %d checks, %d failures\n", g_checks, g_failures);
  return g_failures == 0 ? 0 : 1;
}
