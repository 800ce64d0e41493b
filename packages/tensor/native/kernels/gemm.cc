// Single-precision GEMM: blocked, packed, with a run-time selected micro-kernel.
// (Interface and semantics: gemm.h.)
//
// BLOCKING SCHEME (the classic five loops around a register-tile micro-kernel)
//
//   for jc in N step NC                    B block  KC x NC  -> packed, lives in L3
//     for pc in K step KC                  (k outer so the C tile is summed block by block)
//       pack B[pc:pc+KC, jc:jc+NC]         -> NR-wide column panels, [k][NR] each
//       for ic in M step MC                A block  MC x KC  -> packed, lives in L2
//         pack A[ic:ic+MC, pc:pc+KC]       -> MR-tall row panels, [k][MR] each
//         for jr in NC step NR             one B micro-panel (KC x NR) stays in L1
//           for ir in MC step MR           one A micro-panel streams from L2
//             micro-kernel: C[MR x NR] (+)= Apanel[MR x KC] * Bpanel[KC x NR]
//
// MR x NR = 6 x 16: the AVX2+FMA kernel keeps the tile in 12 ymm accumulators (6 rows x two
// 8-float vectors), loads two B vectors and broadcasts six A scalars per k step: 12 FMAs per
// 8 loads, enough to keep both FMA pipes busy. Transposes, leading dimensions and ragged edges
// are all absorbed by the packing routines (edge panels are zero padded to MR / NR), so the
// kernel sees only dense, 64-byte aligned panels; edge tiles are computed in full into a
// local tile and only the valid m x n part is written to C.
//
// Block sizes, chosen for AMD EPYC Zen 5 (48 KiB L1d, 1 MiB L2 per core, large shared L3)
// but reasonable for any recent x86 or arm64 core:
//   KC = 384: B micro-panel 384*16*4 = 24 KiB (half of L1), A micro-panel 9 KiB.
//   MC = 192: A block 192*384*4 = 288 KiB (about a quarter to a third of L2).
//   NC = 3072: B block 384*3072*4 = 4.5 MiB (L3).
// K is cut into equal blocks of at most KC (K = 400 -> 2 x 200, not 384 + 16), likewise M and N,
// which keeps the edge blocks from being tiny.
//
// THREADS AND DETERMINISM
// C is cut into a static grid of tm x tn rectangles (tm * tn = threads used; the grid shape
// minimises the amount of packing), one rectangle per pool chunk. Each thread runs the whole
// five-loop nest over its rectangle with its own thread_local packed-A and packed-B buffers,
// so there is no synchronisation apart from the one parallel_for. Every element of C is
// accumulated in the same order (k blocks of a size that depends on K only, k ascending inside
// a block) whichever thread computes it, so the result is bit-identical run to run, and in
// fact also across thread counts for a given kernel. Problems under about 2 M multiply-adds
// per thread run on fewer threads (a pool wake-up costs tens of microseconds).
//
// sgemm_batched runs whole products per thread when there are enough of them to share out
// evenly (or they are too small to split), otherwise it runs them one after another, each
// split across the pool.
//
// MEASURED (AMD EPYC Zen 5, 2 cores, g++ 12 -O3, GFLOP/s, best of several runs; see the
// benchmark in ../tests/gemm_test.cc):  [filled in below after tuning]
//
#include "gemm.h"

#include <algorithm>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <new>

#if defined(__x86_64__) || defined(__i386__)
#define OELLM_GEMM_X86 1
#include <immintrin.h>
#else
#define OELLM_GEMM_X86 0
#endif

namespace oellm {
namespace {

constexpr int MR = 6;   // micro-tile rows
constexpr int NR = 16;  // micro-tile columns
}  // namespace
// TUNING-ONLY globals (to be removed)
int64_t KC_MAX = 384, MC_MAX = 192, NC_MAX = 3072;
namespace {
constexpr int64_t kMinMacsPerThread = int64_t(1) << 21;

// ---------------------------------------------------------------------------------------------
// Scratch: 64-byte aligned, thread_local, grown on demand and never shrunk.

class Scratch {
 public:
  ~Scratch() { std::free(p_); }
  // Returns at least `floats` floats, or nullptr if memory is exhausted.
  float* get(size_t floats) {
    if (floats > cap_) {
      size_t bytes = (floats * sizeof(float) + 4095) & ~size_t(4095);
      void* p = nullptr;
      if (posix_memalign(&p, 64, bytes) != 0) return nullptr;
      std::free(p_);
      p_ = static_cast<float*>(p);
      cap_ = bytes / sizeof(float);
    }
    return p_;
  }

 private:
  float* p_ = nullptr;
  size_t cap_ = 0;
};

thread_local Scratch tl_pack_a;
thread_local Scratch tl_pack_b;

// ---------------------------------------------------------------------------------------------
// Problem description.

struct Gemm {
  int64_t M, N, K;
  const float* A;
  int64_t lda;
  bool transA;
  const float* B;
  int64_t ldb;
  bool transB;
  float* C;
  int64_t ldc;
  bool accumulate;
};

inline int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }
inline int64_t round_up(int64_t a, int64_t b) { return ceil_div(a, b) * b; }

// Cuts `total` into equal blocks of at most `max_block`, each a multiple of `unit`
// (except possibly the last). Returns the block size.
inline int64_t balanced_block(int64_t total, int64_t max_block, int64_t unit) {
  int64_t blocks = ceil_div(total, max_block);
  return std::min(max_block, round_up(ceil_div(total, blocks), unit));
}

// ---------------------------------------------------------------------------------------------
// Packing. Packed A: ceil(mc/MR) panels, panel q holds rows q*MR.. as dst[p*MR + r].
// Packed B: ceil(nc/NR) panels, panel q holds columns q*NR.. as dst[p*NR + j]. Zero padded.

void pack_a_generic(const Gemm& g, int64_t i0, int64_t mc, int64_t p0, int64_t kc, float* dst) {
  for (int64_t ib = 0; ib < mc; ib += MR, dst += MR * kc) {
    const int rows = static_cast<int>(std::min<int64_t>(MR, mc - ib));
    if (!g.transA) {
      // A(i, p) = A[i*lda + p]: rows are contiguous in p.
      const float* src[MR];
      for (int r = 0; r < MR; r++) src[r] = g.A + (i0 + ib + std::min(r, rows - 1)) * g.lda + p0;
      if (rows == MR) {
        for (int64_t p = 0; p < kc; p++)
          for (int r = 0; r < MR; r++) dst[p * MR + r] = src[r][p];
      } else {
        for (int64_t p = 0; p < kc; p++)
          for (int r = 0; r < MR; r++) dst[p * MR + r] = r < rows ? src[r][p] : 0.0f;
      }
    } else {
      // A(i, p) = A[p*lda + i]: MR consecutive floats per p.
      const float* src = g.A + p0 * g.lda + i0 + ib;
      for (int64_t p = 0; p < kc; p++, src += g.lda)
        for (int r = 0; r < MR; r++) dst[p * MR + r] = r < rows ? src[r] : 0.0f;
    }
  }
}

void pack_b_generic(const Gemm& g, int64_t p0, int64_t kc, int64_t j0, int64_t nc, float* dst) {
  for (int64_t jb = 0; jb < nc; jb += NR, dst += NR * kc) {
    const int cols = static_cast<int>(std::min<int64_t>(NR, nc - jb));
    if (!g.transB) {
      // B(p, j) = B[p*ldb + j]: NR consecutive floats per p.
      const float* src = g.B + p0 * g.ldb + j0 + jb;
      if (cols == NR) {
        for (int64_t p = 0; p < kc; p++, src += g.ldb) std::memcpy(dst + p * NR, src, NR * sizeof(float));
      } else {
        for (int64_t p = 0; p < kc; p++, src += g.ldb)
          for (int j = 0; j < NR; j++) dst[p * NR + j] = j < cols ? src[j] : 0.0f;
      }
    } else {
      // B(p, j) = B[j*ldb + p]: columns of op(B) are contiguous in p.
      const float* src = g.B + (j0 + jb) * g.ldb + p0;
      for (int64_t p = 0; p < kc; p++)
        for (int j = 0; j < NR; j++) dst[p * NR + j] = j < cols ? src[j * g.ldb + p] : 0.0f;
    }
  }
}

// Writes an MR x NR tile (row stride NR) into C's m x n corner: C = tile or C += tile.
inline void store_tile(const float* tile, float* c, int64_t ldc, bool add, int m, int n) {
  for (int r = 0; r < m; r++) {
    float* cr = c + r * ldc;
    const float* tr = tile + r * NR;
    if (add) {
      for (int j = 0; j < n; j++) cr[j] += tr[j];
    } else {
      for (int j = 0; j < n; j++) cr[j] = tr[j];
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Micro-kernels: C[m x n] (+)= a[MR x kc] * b[kc x NR], a and b packed panels.

using KernelFn = void (*)(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, bool add, int m,
                          int n);

// Portable kernel: plain loops the compiler can vectorise (SSE2 / NEON).
void kernel_portable(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, bool add, int m, int n) {
  alignas(64) float acc[MR * NR];
  for (int i = 0; i < MR * NR; i++) acc[i] = 0.0f;
  for (int64_t p = 0; p < kc; p++, a += MR, b += NR) {
    for (int r = 0; r < MR; r++) {
      const float av = a[r];
      for (int j = 0; j < NR; j++) acc[r * NR + j] += av * b[j];
    }
  }
  store_tile(acc, c, ldc, add, m, n);
}

#if OELLM_GEMM_X86
__attribute__((target("avx2,fma"))) void kernel_avx2(int64_t kc, const float* a, const float* b, float* c,
                                                     int64_t ldc, bool add, int m, int n) {
  // Start pulling the C tile in now; it is only touched after the k loop.
  for (int r = 0; r < MR; r++) {
    _mm_prefetch(reinterpret_cast<const char*>(c + r * ldc), _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(c + r * ldc + NR - 1), _MM_HINT_T0);
  }
  __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps();
  __m256 c10 = _mm256_setzero_ps(), c11 = _mm256_setzero_ps();
  __m256 c20 = _mm256_setzero_ps(), c21 = _mm256_setzero_ps();
  __m256 c30 = _mm256_setzero_ps(), c31 = _mm256_setzero_ps();
  __m256 c40 = _mm256_setzero_ps(), c41 = _mm256_setzero_ps();
  __m256 c50 = _mm256_setzero_ps(), c51 = _mm256_setzero_ps();
#pragma GCC unroll 4
  for (int64_t p = 0; p < kc; p++) {
    const __m256 b0 = _mm256_load_ps(b);
    const __m256 b1 = _mm256_load_ps(b + 8);
    __m256 av;
    av = _mm256_broadcast_ss(a + 0);
    c00 = _mm256_fmadd_ps(av, b0, c00);
    c01 = _mm256_fmadd_ps(av, b1, c01);
    av = _mm256_broadcast_ss(a + 1);
    c10 = _mm256_fmadd_ps(av, b0, c10);
    c11 = _mm256_fmadd_ps(av, b1, c11);
    av = _mm256_broadcast_ss(a + 2);
    c20 = _mm256_fmadd_ps(av, b0, c20);
    c21 = _mm256_fmadd_ps(av, b1, c21);
    av = _mm256_broadcast_ss(a + 3);
    c30 = _mm256_fmadd_ps(av, b0, c30);
    c31 = _mm256_fmadd_ps(av, b1, c31);
    av = _mm256_broadcast_ss(a + 4);
    c40 = _mm256_fmadd_ps(av, b0, c40);
    c41 = _mm256_fmadd_ps(av, b1, c41);
    av = _mm256_broadcast_ss(a + 5);
    c50 = _mm256_fmadd_ps(av, b0, c50);
    c51 = _mm256_fmadd_ps(av, b1, c51);
    a += MR;
    b += NR;
  }
  if (m == MR && n == NR) {
#define OELLM_ROW(r, lo, hi)                                                        \
  do {                                                                              \
    float* cr = c + (r) * ldc;                                                      \
    if (add) {                                                                      \
      lo = _mm256_add_ps(lo, _mm256_loadu_ps(cr));                                  \
      hi = _mm256_add_ps(hi, _mm256_loadu_ps(cr + 8));                              \
    }                                                                               \
    _mm256_storeu_ps(cr, lo);                                                       \
    _mm256_storeu_ps(cr + 8, hi);                                                   \
  } while (0)
    OELLM_ROW(0, c00, c01);
    OELLM_ROW(1, c10, c11);
    OELLM_ROW(2, c20, c21);
    OELLM_ROW(3, c30, c31);
    OELLM_ROW(4, c40, c41);
    OELLM_ROW(5, c50, c51);
#undef OELLM_ROW
  } else {
    alignas(64) float tile[MR * NR];
    _mm256_store_ps(tile + 0 * NR, c00);
    _mm256_store_ps(tile + 0 * NR + 8, c01);
    _mm256_store_ps(tile + 1 * NR, c10);
    _mm256_store_ps(tile + 1 * NR + 8, c11);
    _mm256_store_ps(tile + 2 * NR, c20);
    _mm256_store_ps(tile + 2 * NR + 8, c21);
    _mm256_store_ps(tile + 3 * NR, c30);
    _mm256_store_ps(tile + 3 * NR + 8, c31);
    _mm256_store_ps(tile + 4 * NR, c40);
    _mm256_store_ps(tile + 4 * NR + 8, c41);
    _mm256_store_ps(tile + 5 * NR, c50);
    _mm256_store_ps(tile + 5 * NR + 8, c51);
    store_tile(tile, c, ldc, add, m, n);
  }
}
#endif

// ---------------------------------------------------------------------------------------------
// Kernel selection, once per process.

struct KernelSet {
  KernelFn kernel;
  std::string name;
};

KernelSet select_kernels() {
  const char* env = std::getenv("OELLM_GEMM_KERNEL");
  const bool force_portable = env != nullptr && std::strcmp(env, "portable") == 0;
#if OELLM_GEMM_X86
  if (!force_portable) {
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return {kernel_avx2, "avx2-fma"};
  }
#else
  (void)force_portable;
#endif
  return {kernel_portable, "portable"};
}

const KernelSet& kernels() {
  static const KernelSet k = select_kernels();
  return k;
}

// ---------------------------------------------------------------------------------------------
// Single-threaded drivers.

// Reference loop, used only if scratch memory cannot be allocated.
void gemm_naive(const Gemm& g, int64_t i0, int64_t i1, int64_t j0, int64_t j1) {
  for (int64_t i = i0; i < i1; i++) {
    for (int64_t j = j0; j < j1; j++) {
      float s = 0.0f;
      for (int64_t p = 0; p < g.K; p++) {
        const float a = g.transA ? g.A[p * g.lda + i] : g.A[i * g.lda + p];
        const float b = g.transB ? g.B[j * g.ldb + p] : g.B[p * g.ldb + j];
        s += a * b;
      }
      float* c = g.C + i * g.ldc + j;
      *c = g.accumulate ? *c + s : s;
    }
  }
}

// Computes the rectangle C[i0:i1, j0:j1] on the calling thread (K > 0).
void gemm_region(const Gemm& g, int64_t i0, int64_t i1, int64_t j0, int64_t j1) {
  const int64_t m = i1 - i0, n = j1 - j0;
  if (m <= 0 || n <= 0) return;
  const KernelFn kernel = kernels().kernel;

  const int64_t kc_blk = balanced_block(g.K, KC_MAX, 4);
  const int64_t mc_blk = balanced_block(m, MC_MAX, MR);
  const int64_t nc_blk = balanced_block(n, NC_MAX, NR);

  float* pa = tl_pack_a.get(static_cast<size_t>(round_up(mc_blk, MR) * kc_blk));
  float* pb = tl_pack_b.get(static_cast<size_t>(round_up(nc_blk, NR) * kc_blk));
  if (pa == nullptr || pb == nullptr) {
    gemm_naive(g, i0, i1, j0, j1);
    return;
  }

  for (int64_t jc = j0; jc < j1; jc += nc_blk) {
    const int64_t nc = std::min(nc_blk, j1 - jc);
    for (int64_t pc = 0; pc < g.K; pc += kc_blk) {
      const int64_t kc = std::min(kc_blk, g.K - pc);
      const bool add = g.accumulate || pc > 0;
      pack_b_generic(g, pc, kc, jc, nc, pb);
      for (int64_t ic = i0; ic < i1; ic += mc_blk) {
        const int64_t mc = std::min(mc_blk, i1 - ic);
        pack_a_generic(g, ic, mc, pc, kc, pa);
        for (int64_t jr = 0; jr < nc; jr += NR) {
          const int nr = static_cast<int>(std::min<int64_t>(NR, nc - jr));
          const float* bp = pb + jr * kc;
          float* cc = g.C + ic * g.ldc + jc + jr;
          for (int64_t ir = 0; ir < mc; ir += MR) {
            const int mr = static_cast<int>(std::min<int64_t>(MR, mc - ir));
            kernel(kc, pa + ir * kc, bp, cc + ir * g.ldc, g.ldc, add, mr, nr);
          }
        }
      }
    }
  }
}

void zero_or_keep(const Gemm& g) {
  if (g.accumulate) return;
  for (int64_t i = 0; i < g.M; i++) std::memset(g.C + i * g.ldc, 0, static_cast<size_t>(g.N) * sizeof(float));
}

// How many threads a product of this size deserves.
int threads_for(const Gemm& g, int pool_threads) {
  const double macs = double(g.M) * double(g.N) * double(g.K);
  const int64_t by_work = static_cast<int64_t>(macs / double(kMinMacsPerThread));
  const int64_t tiles = ceil_div(g.M, MR) * ceil_div(g.N, NR);
  return static_cast<int>(std::max<int64_t>(1, std::min<int64_t>({pool_threads, by_work, tiles})));
}

// Runs one product on `threads` chunks of the pool (threads <= pool.size()).
void gemm_parallel(const Gemm& g, int threads, ThreadPool& pool) {
  if (threads <= 1) {
    gemm_region(g, 0, g.M, 0, g.N);
    return;
  }
  // Choose a tm x tn grid (tm * tn == threads) that minimises packing: each thread packs
  // M/tm x K of A and K x N/tn of B, so cost ~ M*tn + N*tm.
  const int64_t mu = ceil_div(g.M, MR), nu = ceil_div(g.N, NR);
  int tm = 1, tn = threads;
  double best = -1;
  for (int a = 1; a <= threads; a++) {
    if (threads % a != 0) continue;
    const int b = threads / a;
    if (a > mu || b > nu) continue;
    const double cost = double(g.M) * b + double(g.N) * a;
    if (best < 0 || cost < best) {
      best = cost;
      tm = a;
      tn = b;
    }
  }
  if (best < 0) {  // no factorisation fits (tiny side): fall back to the longer side
    if (mu >= nu) {
      tm = static_cast<int>(std::min<int64_t>(threads, mu));
      tn = 1;
    } else {
      tm = 1;
      tn = static_cast<int>(std::min<int64_t>(threads, nu));
    }
  }
  const int used = tm * tn;
  pool.parallel_for(used, [&](std::ptrdiff_t b, std::ptrdiff_t e, int) {
    for (std::ptrdiff_t t = b; t < e; t++) {
      const int64_t ti = t / tn, tj = t % tn;
      const int64_t i0 = std::min(g.M, (mu * ti / tm) * MR), i1 = std::min(g.M, (mu * (ti + 1) / tm) * MR);
      const int64_t j0 = std::min(g.N, (nu * tj / tn) * NR), j1 = std::min(g.N, (nu * (tj + 1) / tn) * NR);
      gemm_region(g, i0, i1, j0, j1);
    }
  });
}

}  // namespace

void sgemm(int64_t M, int64_t N, int64_t K, const float* A, int64_t lda, bool transA, const float* B, int64_t ldb,
           bool transB, float* C, int64_t ldc, bool accumulate, ThreadPool& pool) {
  if (M <= 0 || N <= 0) return;
  const Gemm g{M, N, K, A, lda, transA, B, ldb, transB, C, ldc, accumulate};
  if (K <= 0) {
    zero_or_keep(g);
    return;
  }
  gemm_parallel(g, threads_for(g, pool.size()), pool);
}

void sgemm_batched(int64_t batch, int64_t M, int64_t N, int64_t K, const float* A, int64_t strideA, int64_t lda,
                   bool transA, const float* B, int64_t strideB, int64_t ldb, bool transB, float* C,
                   int64_t strideC, int64_t ldc, bool accumulate, ThreadPool& pool) {
  if (batch <= 0 || M <= 0 || N <= 0) return;
  auto product = [&](int64_t t) {
    return Gemm{M, N, K, A + t * strideA, lda, transA, B + t * strideB, ldb, transB, C + t * strideC, ldc,
                accumulate};
  };
  auto run_serial = [&](const Gemm& g) {
    if (g.K <= 0)
      zero_or_keep(g);
    else
      gemm_region(g, 0, g.M, 0, g.N);
  };

  const int T = pool.size();
  const Gemm g0 = product(0);
  const int per_product = K > 0 ? threads_for(g0, T) : 1;
  const double total_macs = double(batch) * double(M) * double(N) * double(std::max<int64_t>(K, 1));
  const int by_work = static_cast<int>(std::max(1.0, std::min(double(T), total_macs / double(kMinMacsPerThread))));

  // C shared between batch entries (stride 0): entries must run in order.
  const bool c_shared = strideC == 0 && batch > 1;
  // Across batches: each thread runs whole products. Best when the products divide evenly
  // or are too small to split; otherwise split each product across the pool.
  const int64_t chunks = std::min<int64_t>({int64_t(T), batch, int64_t(by_work)});
  const bool across = !c_shared && chunks > 1 &&
                      (batch % chunks == 0 || batch >= 4 * chunks || per_product < chunks);
  if (across) {
    pool.parallel_for(chunks, [&](std::ptrdiff_t b, std::ptrdiff_t e, int) {
      for (std::ptrdiff_t c = b; c < e; c++) {
        const int64_t t0 = batch * c / chunks, t1 = batch * (c + 1) / chunks;
        for (int64_t t = t0; t < t1; t++) run_serial(product(t));
      }
    });
    return;
  }
  for (int64_t t = 0; t < batch; t++) {
    const Gemm g = product(t);
    if (K <= 0)
      zero_or_keep(g);
    else
      gemm_parallel(g, per_product, pool);
  }
}

const std::string& gemm_kernel_name() { return kernels().name; }

}  // namespace oellm
