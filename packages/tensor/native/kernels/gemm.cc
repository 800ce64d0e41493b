// Single-precision GEMM: blocked, packed, with a micro-kernel chosen once at run time.
// (Interface and semantics: gemm.h.) Original code, written for this project.
//
// BLOCKING SCHEME (five loops around a register-tile micro-kernel, BLIS style)
//
//   for jc in N step NC                      B block  KC x NC, packed once per (jc, is, pc)
//     for is in M step MB                    A block  MB x KC, packed once per (jc, is, pc)
//       for pc in K step KC                  k blocks in ascending order (C summed block by block)
//         pack op(A)[is:is+MB, pc:pc+KC]     -> MR-row panels, panel[k][MR]
//         pack op(B)[pc:pc+KC, jc:jc+NC]     -> NR-column panels, panel[k][NR]
//         for each compute item (MC rows x WN columns of the block)
//           for jr in item step NR           one B micro-panel (KC x NR = 32 KiB) stays in L1
//             for ir in item step MR         A micro-panels (MC x KC = 288 KiB) stream from L2
//               micro-kernel: C[MR x NR] (+)= Apanel[MR x KC] * Bpanel[KC x NR]
//
// MR x NR = 6 x 16. The AVX2+FMA kernel keeps the tile in 12 ymm accumulators (6 rows x two
// 8-float vectors) and per k step loads two B vectors and broadcasts six A scalars: 12 FMAs per
// 8 loads, which keeps both FMA pipes busy (97% of peak with the panels in L1). Transposes,
// leading dimensions and ragged edges are absorbed by the packing routines (edge panels are
// zero padded, the AVX2 build transposes in registers), so the kernel sees dense aligned
// panels; an edge tile is computed in full and only its valid m x n corner is written.
// The portable kernel is the same loop nest in plain C++ for the compiler to vectorise.
//
// Block sizes (AMD EPYC Zen 5: 48 KiB L1d, 1 MiB L2 per core, large shared L3; measured
// flat within noise for KC 256..512, MC 96..192, NC 2048..4096):
//   KC = 512, MC = 144, NC = 2048, MB = 1536.
// K, M and N are cut into equal blocks (K = 600 -> 2 x 300, not 512 + 88).
//
// THREADS AND DETERMINISM
// A product is a list of items: per (jc, is, pc) block one "pack" phase (groups of A and B
// panels, packed cooperatively into shared buffers) and one "compute" phase (MC x WN
// rectangles, about 8 per thread). Threads claim items in order from an atomic counter; an
// item waits only for the phases it needs (details at struct Phase), and packing is double
// buffered so threads that finish computing block b pack block b+1 instead of idling. The
// pool's workers wake tens of microseconds after the caller starts; with claimed items the
// caller just does more of the work meanwhile, and a busy core slows the product down by its
// share only. Which thread computes a tile never changes its arithmetic: every element of C
// is summed over the same k blocks (sizes depend on K only) in the same order, so results are
// bit-identical run to run and even across thread counts (for a given kernel). Products below
// ~1.5 M multiply-adds per thread use fewer threads.
//
// Skinny products (M <= 4, or N == 1: matrix-vector shaped) skip packing and stream the big
// operand through two small AXPY / dot-product kernels instead; see gemm_skinny.
//
// Known weak spot: a very deep K with a small C (e.g. 64 x 100000 x 64, a weight gradient of a
// tiny layer) is packing- and sync-bound at ~0.8-0.9x OpenBLAS; there is no split-K.
//
// sgemm_batched hands whole products to threads (claimed dynamically) when there are at least
// two per thread or each is too small to split, and otherwise runs the products in order,
// each split across the pool. A C stride of 0 always runs in order.
//
// MEASURED (AMD EPYC Zen 5, 2 vCPUs at ~3.5 GHz boost, AVX2 peak ~110-119 GFLOP/s per core;
// g++ 12 -O3; GFLOP/s, best of repeated runs; OpenBLAS 0.3.21 (Debian, Haswell kernels)
// timed interleaved with ours in the same process; M x K times K x N):
//
//   shape                        ours 1T  OpenBLAS 1T   ours 2T  OpenBLAS 2T
//   256 x 256 x 256                106.6      105.7      173.3      176.9
//   512 x 512 x 512                108.5      108.3      195.7      189.2
//   1024 x 1024 x 1024             106.0      106.3      201.8      197.9
//   2048 x 2048 x 2048             104.3      102.4      203.6      201.7
//   [1024x256] x [256x1024]        109.7      107.6      204.0      194.9
//   [1024x1024] x [1024x256]       108.1      107.4      180.7      180.9
//   [1024x256] x [256x8192]        106.8      103.0      207.7      199.8
//   1024^3 tA / tB / tA+tB (gemm_test bench)  ~105-108 (1T)  ~197-204 (2T)
//   batched 32 x [128x64]x[64x128] tB          106 (1T)        203 (2T)
//   [1x4096] x [4096x4096] (B / B^T)           12 / 21 (1T)    25 / 47 (2T)  memory bound
//   portable kernel (OELLM_GEMM_KERNEL=portable, SSE2 build)  ~29 (1T)  ~56 (2T)
// Another process sharing the 2 cores easily costs 2-thread runs 10-50%; numbers above are
// from quiet moments.
//
#include "gemm.h"

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <thread>
#include <vector>

// The AVX2 path needs GCC/Clang (function target attributes, __builtin_cpu_supports); any
// other compiler or architecture (arm64, MSVC) builds the portable path only.
#if (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__)
#define OELLM_GEMM_X86 1
#include <immintrin.h>
#else
#define OELLM_GEMM_X86 0
#endif
#if defined(_WIN32)
#include <malloc.h>
#endif

namespace oellm {
namespace {

constexpr int MR = 6;   // micro-tile rows
constexpr int NR = 16;  // micro-tile columns
// Cache blocking (see the top of the file). MC is a multiple of MR, NC of NR.
constexpr int64_t KC_MAX = 512;   // depth of a packed block
constexpr int64_t MC_MAX = 144;   // rows of A per compute item (A block in L2)
constexpr int64_t NC_MAX = 2048;  // columns of B per packed block (B block in L3)
constexpr int64_t MB_MAX = 1536;  // rows of A per packed block
// Threads: compute items per thread and phase (dynamic balance), and the work below which a
// product does not wake another thread (about 30 us of arithmetic per thread).
constexpr int64_t ITEMS_PER_THREAD = 8;
constexpr int64_t kMinMacsPerThread = int64_t(3) << 19;
// Skinny products: at most this many rows of C with B not transposed take the AXPY path.
constexpr int64_t SKINNY_AXPY_ROWS = 4;

// ---------------------------------------------------------------------------------------------
// Scratch: 64-byte aligned, thread_local, grown on demand and never shrunk.

inline void* aligned_malloc64(size_t bytes) {
#if defined(_WIN32)
  return _aligned_malloc(bytes, 64);
#else
  void* p = nullptr;
  return posix_memalign(&p, 64, bytes) == 0 ? p : nullptr;
#endif
}

inline void aligned_free(void* p) {
#if defined(_WIN32)
  _aligned_free(p);
#else
  std::free(p);
#endif
}

class Scratch {
 public:
  ~Scratch() { aligned_free(p_); }
  // Returns at least `floats` floats (contents undefined), or nullptr if memory is exhausted.
  float* get(size_t floats) {
    if (floats > cap_) {
      const size_t bytes = (floats * sizeof(float) + 4095) & ~size_t(4095);
      void* p = aligned_malloc64(bytes);
      if (p == nullptr) return nullptr;
      aligned_free(p_);
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

// One A panel: rows [i, i + rows) of op(A), rows <= MR.
void pack_a_panel(const Gemm& g, int64_t i, int rows, int64_t p0, int64_t kc, float* dst) {
  if (!g.transA) {
    // A(i, p) = A[i*lda + p]: rows are contiguous in p.
    const float* src[MR];
    for (int r = 0; r < MR; r++) src[r] = g.A + (i + std::min(r, rows - 1)) * g.lda + p0;
    if (rows == MR) {
      for (int64_t p = 0; p < kc; p++)
        for (int r = 0; r < MR; r++) dst[p * MR + r] = src[r][p];
    } else {
      for (int64_t p = 0; p < kc; p++)
        for (int r = 0; r < MR; r++) dst[p * MR + r] = r < rows ? src[r][p] : 0.0f;
    }
  } else {
    // A(i, p) = A[p*lda + i]: MR consecutive floats per p.
    const float* src = g.A + p0 * g.lda + i;
    if (rows == MR) {
      for (int64_t p = 0; p < kc; p++, src += g.lda)
        for (int r = 0; r < MR; r++) dst[p * MR + r] = src[r];
    } else {
      for (int64_t p = 0; p < kc; p++, src += g.lda)
        for (int r = 0; r < MR; r++) dst[p * MR + r] = r < rows ? src[r] : 0.0f;
    }
  }
}

// One B panel: columns [j, j + cols) of op(B), cols <= NR.
void pack_b_panel(const Gemm& g, int64_t p0, int64_t kc, int64_t j, int cols, float* dst) {
  if (!g.transB) {
    // B(p, j) = B[p*ldb + j]: NR consecutive floats per p.
    const float* src = g.B + p0 * g.ldb + j;
    if (cols == NR) {
      for (int64_t p = 0; p < kc; p++, src += g.ldb) std::memcpy(dst + p * NR, src, NR * sizeof(float));
    } else {
      for (int64_t p = 0; p < kc; p++, src += g.ldb)
        for (int c = 0; c < NR; c++) dst[p * NR + c] = c < cols ? src[c] : 0.0f;
    }
  } else {
    // B(p, j) = B[j*ldb + p]: columns of op(B) are contiguous in p.
    const float* src[NR];
    for (int c = 0; c < NR; c++) src[c] = g.B + (j + std::min(c, cols - 1)) * g.ldb + p0;
    for (int64_t p = 0; p < kc; p++)
      for (int c = 0; c < NR; c++) dst[p * NR + c] = c < cols ? src[c][p] : 0.0f;
  }
}

using PackAFn = void (*)(const Gemm& g, int64_t i0, int64_t mc, int64_t p0, int64_t kc, float* dst);
using PackBFn = void (*)(const Gemm& g, int64_t p0, int64_t kc, int64_t j0, int64_t nc, float* dst);

// Rows [i0, i0 + mc) of op(A), columns [p0, p0 + kc): ceil(mc/MR) panels.
void pack_a_generic(const Gemm& g, int64_t i0, int64_t mc, int64_t p0, int64_t kc, float* dst) {
  if (g.transA) {
    // Rows of the stored A run along i: copy MR-float pieces of each stored row into all
    // full panels at once (contiguous reads), then do any ragged last panel on its own.
    const int64_t full = mc / MR;
    const float* src = g.A + p0 * g.lda + i0;
    for (int64_t p = 0; p < kc; p++, src += g.lda)
      for (int64_t q = 0; q < full; q++)
        for (int r = 0; r < MR; r++) dst[q * MR * kc + p * MR + r] = src[q * MR + r];
    if (full * MR < mc)
      pack_a_panel(g, i0 + full * MR, static_cast<int>(mc - full * MR), p0, kc, dst + full * MR * kc);
    return;
  }
  for (int64_t ib = 0; ib < mc; ib += MR, dst += MR * kc)
    pack_a_panel(g, i0 + ib, static_cast<int>(std::min<int64_t>(MR, mc - ib)), p0, kc, dst);
}

// Rows [p0, p0 + kc) of op(B), columns [j0, j0 + nc): ceil(nc/NR) panels.
void pack_b_generic(const Gemm& g, int64_t p0, int64_t kc, int64_t j0, int64_t nc, float* dst) {
  for (int64_t jb = 0; jb < nc; jb += NR, dst += NR * kc)
    pack_b_panel(g, p0, kc, j0 + jb, static_cast<int>(std::min<int64_t>(NR, nc - jb)), dst);
}

#if OELLM_GEMM_X86
// In-register 8x8 transpose: on return r[k] holds what was column k.
__attribute__((target("avx2,fma"))) inline void transpose8(__m256 r[8]) {
  const __m256 t0 = _mm256_unpacklo_ps(r[0], r[1]), t1 = _mm256_unpackhi_ps(r[0], r[1]);
  const __m256 t2 = _mm256_unpacklo_ps(r[2], r[3]), t3 = _mm256_unpackhi_ps(r[2], r[3]);
  const __m256 t4 = _mm256_unpacklo_ps(r[4], r[5]), t5 = _mm256_unpackhi_ps(r[4], r[5]);
  const __m256 t6 = _mm256_unpacklo_ps(r[6], r[7]), t7 = _mm256_unpackhi_ps(r[6], r[7]);
  const __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xEE);
  const __m256 u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xEE);
  const __m256 u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xEE);
  const __m256 u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xEE);
  r[0] = _mm256_permute2f128_ps(u0, u4, 0x20);
  r[1] = _mm256_permute2f128_ps(u1, u5, 0x20);
  r[2] = _mm256_permute2f128_ps(u2, u6, 0x20);
  r[3] = _mm256_permute2f128_ps(u3, u7, 0x20);
  r[4] = _mm256_permute2f128_ps(u0, u4, 0x31);
  r[5] = _mm256_permute2f128_ps(u1, u5, 0x31);
  r[6] = _mm256_permute2f128_ps(u2, u6, 0x31);
  r[7] = _mm256_permute2f128_ps(u3, u7, 0x31);
}

// A not transposed, full panels: 8 k-steps at a time, six rows transposed in registers.
// Each 8-float store spills 2 floats into the next k-step's slot, which the next store
// overwrites; the panel's final k-step uses a 6-lane masked store so nothing leaves the panel.
__attribute__((target("avx2,fma"))) void pack_a_avx2(const Gemm& g, int64_t i0, int64_t mc, int64_t p0,
                                                     int64_t kc, float* dst) {
  if (g.transA) {
    pack_a_generic(g, i0, mc, p0, kc, dst);
    return;
  }
  const __m256i mask6 = _mm256_setr_epi32(-1, -1, -1, -1, -1, -1, 0, 0);
  for (int64_t ib = 0; ib < mc; ib += MR, dst += MR * kc) {
    const int rows = static_cast<int>(std::min<int64_t>(MR, mc - ib));
    if (rows != MR || kc < 8) {
      pack_a_panel(g, i0 + ib, rows, p0, kc, dst);
      continue;
    }
    const float* src = g.A + (i0 + ib) * g.lda + p0;
    const int64_t lda = g.lda;
    int64_t p = 0;
    for (; p + 8 <= kc; p += 8) {
      __m256 r[8];
      for (int q = 0; q < MR; q++) r[q] = _mm256_loadu_ps(src + q * lda + p);
      r[6] = r[7] = _mm256_setzero_ps();
      transpose8(r);
      float* d = dst + p * MR;
      for (int k = 0; k < 7; k++) _mm256_storeu_ps(d + k * MR, r[k]);
      if (p + 8 == kc)
        _mm256_maskstore_ps(d + 7 * MR, mask6, r[7]);
      else
        _mm256_storeu_ps(d + 7 * MR, r[7]);
    }
    for (; p < kc; p++)
      for (int q = 0; q < MR; q++) dst[p * MR + q] = src[q * lda + p];
  }
}

// B transposed, full panels: two 8x8 transposes per 8 k-steps.
__attribute__((target("avx2,fma"))) void pack_b_avx2(const Gemm& g, int64_t p0, int64_t kc, int64_t j0,
                                                     int64_t nc, float* dst) {
  for (int64_t jb = 0; jb < nc; jb += NR, dst += NR * kc) {
    const int cols = static_cast<int>(std::min<int64_t>(NR, nc - jb));
    if (!g.transB || cols != NR || kc < 8) {
      pack_b_panel(g, p0, kc, j0 + jb, cols, dst);
      continue;
    }
    const float* src = g.B + (j0 + jb) * g.ldb + p0;
    const int64_t ldb = g.ldb;
    int64_t p = 0;
    for (; p + 8 <= kc; p += 8) {
      for (int h = 0; h < 2; h++) {
        __m256 r[8];
        for (int q = 0; q < 8; q++) r[q] = _mm256_loadu_ps(src + (8 * h + q) * ldb + p);
        transpose8(r);
        for (int k = 0; k < 8; k++) _mm256_store_ps(dst + (p + k) * NR + 8 * h, r[k]);
      }
    }
    for (; p < kc; p++)
      for (int c = 0; c < NR; c++) dst[p * NR + c] = src[c * ldb + p];
  }
}
#endif

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
// Micro-kernels: C[m x n] (+)= a[MR x kc] * b[kc x NR], a and b packed panels. Only the valid
// m x n corner of the tile is written (C = tile, or C += tile when `add`).

using KernelFn = void (*)(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, bool add, int m,
                          int n);

// Portable kernel: plain loops the compiler can vectorise (SSE2 / NEON). Two rows of the tile
// at a time (8 four-float accumulators), so the working set fits 16 vector registers; the
// B panel is re-read from L1 for each pair of rows.
void kernel_portable(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, bool add, int m, int n) {
  alignas(64) float tile[MR * NR];
  for (int r = 0; r < MR; r += 2) {
    float acc0[NR], acc1[NR];
    for (int j = 0; j < NR; j++) acc0[j] = acc1[j] = 0.0f;
    const float* ap = a + r;
    const float* bp = b;
    for (int64_t p = 0; p < kc; p++, ap += MR, bp += NR) {
      const float a0 = ap[0], a1 = ap[1];
      for (int j = 0; j < NR; j++) {
        acc0[j] += a0 * bp[j];
        acc1[j] += a1 * bp[j];
      }
    }
    for (int j = 0; j < NR; j++) {
      tile[r * NR + j] = acc0[j];
      tile[(r + 1) * NR + j] = acc1[j];
    }
  }
  store_tile(tile, c, ldc, add, m, n);
}

#if OELLM_GEMM_X86
__attribute__((target("avx2,fma"))) void kernel_avx2(int64_t kc, const float* a, const float* b, float* c,
                                                     int64_t ldc, bool add, int m, int n) {
  // Start pulling the C tile in now; it is only touched after the k loop.
  for (int r = 0; r < m; r++) {
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
// Skinny products (a handful of rows, or a single column) are matrix-vector products: packing
// a big operand that is used only once or twice would cost more than the arithmetic, so they
// stream the big operand directly with two vector primitives:
//   gemv_cols: y[j]      (+)= sum_p x[p*incx] * R[p*ldr + j],  j < n   (R rows run along j)
//   gemv_rows: y[j*incy] (+)= sum_p x[p]      * R[j*ldr + p],  j < n   (R rows run along p)
// Each output is summed in a fixed order, so results depend only on the shape.

using GemvColsFn = void (*)(int64_t n, int64_t K, const float* x, int64_t incx, const float* R, int64_t ldr, float* y,
                            bool add);
using GemvRowsFn = void (*)(int64_t n, int64_t K, const float* x, const float* R, int64_t ldr, float* y,
                            int64_t incy, bool add);

constexpr int64_t GEMV_COLS = 64;  // y elements per gemv_cols block (8 ymm accumulators)

void gemv_cols_portable(int64_t n, int64_t K, const float* x, int64_t incx, const float* R, int64_t ldr, float* y,
                        bool add) {
  for (int64_t j0 = 0; j0 < n; j0 += GEMV_COLS) {
    const int64_t nb = std::min(GEMV_COLS, n - j0);
    float acc[GEMV_COLS] = {};
    const float* r = R + j0;
    for (int64_t p = 0; p < K; p++, r += ldr) {
      const float xv = x[p * incx];
      for (int64_t q = 0; q < nb; q++) acc[q] += xv * r[q];
    }
    for (int64_t q = 0; q < nb; q++) y[j0 + q] = add ? y[j0 + q] + acc[q] : acc[q];
  }
}

void gemv_rows_portable(int64_t n, int64_t K, const float* x, const float* R, int64_t ldr, float* y, int64_t incy,
                        bool add) {
  for (int64_t j = 0; j < n; j++) {
    const float* r = R + j * ldr;
    float acc[8] = {};
    int64_t p = 0;
    for (; p + 8 <= K; p += 8)
      for (int q = 0; q < 8; q++) acc[q] += x[p + q] * r[p + q];
    float s = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
    for (; p < K; p++) s += x[p] * r[p];
    y[j * incy] = add ? y[j * incy] + s : s;
  }
}

#if OELLM_GEMM_X86
__attribute__((target("avx2,fma"))) inline float hsum8(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
  return _mm_cvtss_f32(s);
}

__attribute__((target("avx2,fma"))) void gemv_cols_avx2(int64_t n, int64_t K, const float* x, int64_t incx,
                                                        const float* R, int64_t ldr, float* y, bool add) {
  int64_t j = 0;
  for (; j + GEMV_COLS <= n; j += GEMV_COLS) {
    __m256 acc[8];
    for (int q = 0; q < 8; q++) acc[q] = _mm256_setzero_ps();
    const float* r = R + j;
    for (int64_t p = 0; p < K; p++, r += ldr) {
      const __m256 xv = _mm256_broadcast_ss(x + p * incx);
      for (int q = 0; q < 8; q++) acc[q] = _mm256_fmadd_ps(xv, _mm256_loadu_ps(r + 8 * q), acc[q]);
    }
    for (int q = 0; q < 8; q++) {
      if (add) acc[q] = _mm256_add_ps(acc[q], _mm256_loadu_ps(y + j + 8 * q));
      _mm256_storeu_ps(y + j + 8 * q, acc[q]);
    }
  }
  for (; j + 8 <= n; j += 8) {
    __m256 acc = _mm256_setzero_ps();
    const float* r = R + j;
    for (int64_t p = 0; p < K; p++, r += ldr) acc = _mm256_fmadd_ps(_mm256_broadcast_ss(x + p * incx), _mm256_loadu_ps(r), acc);
    if (add) acc = _mm256_add_ps(acc, _mm256_loadu_ps(y + j));
    _mm256_storeu_ps(y + j, acc);
  }
  if (j < n) gemv_cols_portable(n - j, K, x, incx, R + j, ldr, y + j, add);
}

__attribute__((target("avx2,fma"))) void gemv_rows_avx2(int64_t n, int64_t K, const float* x, const float* R,
                                                        int64_t ldr, float* y, int64_t incy, bool add) {
  int64_t j = 0;
  // Four rows of R at a time share each load of x.
  for (; j + 4 <= n; j += 4) {
    const float* r0 = R + j * ldr;
    const float* r1 = r0 + ldr;
    const float* r2 = r1 + ldr;
    const float* r3 = r2 + ldr;
    __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
    int64_t p = 0;
    for (; p + 16 <= K; p += 16) {
      const __m256 x0 = _mm256_loadu_ps(x + p), x1 = _mm256_loadu_ps(x + p + 8);
      a0 = _mm256_fmadd_ps(x0, _mm256_loadu_ps(r0 + p), a0);
      b0 = _mm256_fmadd_ps(x1, _mm256_loadu_ps(r0 + p + 8), b0);
      a1 = _mm256_fmadd_ps(x0, _mm256_loadu_ps(r1 + p), a1);
      b1 = _mm256_fmadd_ps(x1, _mm256_loadu_ps(r1 + p + 8), b1);
      a2 = _mm256_fmadd_ps(x0, _mm256_loadu_ps(r2 + p), a2);
      b2 = _mm256_fmadd_ps(x1, _mm256_loadu_ps(r2 + p + 8), b2);
      a3 = _mm256_fmadd_ps(x0, _mm256_loadu_ps(r3 + p), a3);
      b3 = _mm256_fmadd_ps(x1, _mm256_loadu_ps(r3 + p + 8), b3);
    }
    for (; p + 8 <= K; p += 8) {
      const __m256 x0 = _mm256_loadu_ps(x + p);
      a0 = _mm256_fmadd_ps(x0, _mm256_loadu_ps(r0 + p), a0);
      a1 = _mm256_fmadd_ps(x0, _mm256_loadu_ps(r1 + p), a1);
      a2 = _mm256_fmadd_ps(x0, _mm256_loadu_ps(r2 + p), a2);
      a3 = _mm256_fmadd_ps(x0, _mm256_loadu_ps(r3 + p), a3);
    }
    float s[4] = {hsum8(_mm256_add_ps(a0, b0)), hsum8(_mm256_add_ps(a1, b1)), hsum8(_mm256_add_ps(a2, b2)),
                  hsum8(_mm256_add_ps(a3, b3))};
    for (; p < K; p++) {
      s[0] += x[p] * r0[p];
      s[1] += x[p] * r1[p];
      s[2] += x[p] * r2[p];
      s[3] += x[p] * r3[p];
    }
    for (int q = 0; q < 4; q++) y[(j + q) * incy] = add ? y[(j + q) * incy] + s[q] : s[q];
  }
  for (; j < n; j++) {
    const float* r = R + j * ldr;
    __m256 a = _mm256_setzero_ps(), b = a;
    int64_t p = 0;
    for (; p + 16 <= K; p += 16) {
      a = _mm256_fmadd_ps(_mm256_loadu_ps(x + p), _mm256_loadu_ps(r + p), a);
      b = _mm256_fmadd_ps(_mm256_loadu_ps(x + p + 8), _mm256_loadu_ps(r + p + 8), b);
    }
    for (; p + 8 <= K; p += 8) a = _mm256_fmadd_ps(_mm256_loadu_ps(x + p), _mm256_loadu_ps(r + p), a);
    float s = hsum8(_mm256_add_ps(a, b));
    for (; p < K; p++) s += x[p] * r[p];
    y[j * incy] = add ? y[j * incy] + s : s;
  }
}
#endif

// ---------------------------------------------------------------------------------------------
// Kernel selection, once per process.

struct KernelSet {
  KernelFn kernel;
  PackAFn pack_a;
  PackBFn pack_b;
  GemvColsFn gemv_cols;
  GemvRowsFn gemv_rows;
  std::string name;
};

KernelSet select_kernels() {
  const char* env = std::getenv("OELLM_GEMM_KERNEL");
  const bool force_portable = env != nullptr && std::strcmp(env, "portable") == 0;
#if OELLM_GEMM_X86
  if (!force_portable) {
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return {kernel_avx2, pack_a_avx2, pack_b_avx2, gemv_cols_avx2, gemv_rows_avx2, "avx2-fma"};
  }
#else
  (void)force_portable;
#endif
  return {kernel_portable, pack_a_generic, pack_b_generic, gemv_cols_portable, gemv_rows_portable, "portable"};
}

const KernelSet& kernels() {
  static const KernelSet k = select_kernels();
  return k;
}

// ---------------------------------------------------------------------------------------------
// Drivers.

// Reference loop, used only if scratch memory cannot be allocated.
void gemm_naive(const Gemm& g) {
  for (int64_t i = 0; i < g.M; i++) {
    for (int64_t j = 0; j < g.N; j++) {
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

void zero_or_keep(const Gemm& g) {
  if (g.accumulate) return;
  for (int64_t i = 0; i < g.M; i++) std::memset(g.C + i * g.ldc, 0, static_cast<size_t>(g.N) * sizeof(float));
}

// THE SCHEDULE. A product is a sequence of blocks (jc, is, pc), in that loop order. Each block
// is two phases: "pack" (items: groups of A panels and of B panels, written to shared packed
// buffers) and "compute" (items: rectangles of mc rows x wn columns of the block, each a sweep
// of micro-kernel calls). Items get consecutive global numbers and threads claim them in that
// order with one atomic counter. Before running an item a thread waits until the phases it
// depends on are complete:
//   pack of block b     needs  compute of block b-2   (the buffer pair it overwrites is free;
//                                                       b-1 when single buffered, 1 thread)
//   compute of block b  needs  pack of block b, compute of block b-1 (same C tiles, k order)
// Every phase waited for holds only lower-numbered items, which are already claimed by running
// threads, so nothing can deadlock, and a late-waking worker simply joins wherever the claims
// have got to. Double buffering lets threads that finish their last compute item of block b
// start packing block b+1 instead of idling at a barrier.
struct Phase {
  int64_t start;    // global number of the phase's first item
  int64_t count;    // items in the phase
  int64_t jc, nc;   // columns of C / B
  int64_t is, mb;   // rows of C / A (a super-block of at most MB_MAX rows)
  int64_t pc, kc;   // slice of K
  int64_t mc;       // rows of a compute item (multiple of MR)
  int64_t wn;       // columns of a compute item (multiple of NR)
  int64_t a_items;  // pack phase: items packing A (the B items follow)
  int64_t n_chunks; // compute phase: column chunks per row block
  int buf;          // which packed buffer pair
  bool pack;
};

constexpr int64_t A_PANELS_PER_ITEM = 8;  // 48 rows of A per pack item
constexpr int64_t B_PANELS_PER_ITEM = 4;  // 64 columns of B per pack item

struct Plan {
  const Gemm* g = nullptr;
  KernelFn kernel = nullptr;
  PackAFn pack_a = nullptr;
  PackBFn pack_b = nullptr;
  float* pa[2] = {nullptr, nullptr};  // packed A of one (is, pc) block: ceil(mb/MR) panels of MR x kc
  float* pb[2] = {nullptr, nullptr};  // packed B of one (pc, jc) block: ceil(nc/NR) panels of kc x NR
  const Phase* phases = nullptr;
  std::atomic<int64_t>* done = nullptr;  // finished items per phase
  size_t n_phases = 0;
  size_t nbuf = 1;  // 2: double-buffered packing
  int64_t total = 0;
  std::atomic<int64_t> next{0};
  std::atomic<int64_t> finished{0};  // items finished, all phases
};

// Per-calling-thread schedule storage, reused between calls (plain memory: nothing here may
// throw).
struct PlanStorage {
  Phase* phases = nullptr;
  std::atomic<int64_t>* done = nullptr;
  size_t cap = 0;
  ~PlanStorage() {
    std::free(phases);
    delete[] done;
  }
  bool reserve(size_t n) {
    if (n <= cap) return true;
    std::free(phases);
    delete[] done;
    phases = static_cast<Phase*>(std::malloc(n * sizeof(Phase)));
    done = new (std::nothrow) std::atomic<int64_t>[n];
    cap = (phases != nullptr && done != nullptr) ? n : 0;
    return cap != 0;
  }
};
thread_local Scratch tl_pack_a2;
thread_local Scratch tl_pack_b2;
thread_local PlanStorage tl_plan;

// Builds the schedule; returns false if memory is unavailable.
bool make_plan(const Gemm& g, int threads, Plan& plan) {
  const int64_t kc_blk = balanced_block(g.K, KC_MAX, 4);
  const int64_t nc_blk = balanced_block(g.N, NC_MAX, NR);
  const int64_t mb_blk = balanced_block(g.M, MB_MAX, MR);
  const int64_t n_blocks = ceil_div(g.N, nc_blk) * ceil_div(g.M, mb_blk) * ceil_div(g.K, kc_blk);
  const int64_t nbuf = (threads > 1 && n_blocks > 1) ? 2 : 1;
  const size_t a_floats = static_cast<size_t>(round_up(mb_blk, MR) * kc_blk);
  const size_t b_floats = static_cast<size_t>(round_up(nc_blk, NR) * kc_blk);
  plan.pa[0] = tl_pack_a.get(a_floats);
  plan.pb[0] = tl_pack_b.get(b_floats);
  plan.pa[1] = nbuf == 2 ? tl_pack_a2.get(a_floats) : plan.pa[0];
  plan.pb[1] = nbuf == 2 ? tl_pack_b2.get(b_floats) : plan.pb[0];
  if (!plan.pa[0] || !plan.pb[0] || !plan.pa[1] || !plan.pb[1]) return false;

  PlanStorage& st = tl_plan;
  if (!st.reserve(static_cast<size_t>(2 * n_blocks))) return false;
  Phase* ph = st.phases;
  size_t n_phases = 0;

  int64_t index = 0;
  int64_t block = 0;
  for (int64_t jc = 0; jc < g.N; jc += nc_blk) {
    const int64_t nc = std::min(nc_blk, g.N - jc);
    for (int64_t is = 0; is < g.M; is += mb_blk) {
      const int64_t mb = std::min(mb_blk, g.M - is);
      const int64_t mc = balanced_block(mb, MC_MAX, MR);
      const int64_t m_blocks = ceil_div(mb, mc);
      // Enough compute items per phase for the threads to share out evenly.
      const int64_t n_panels = ceil_div(nc, NR);
      const int64_t want_chunks = threads > 1 ? ceil_div(ITEMS_PER_THREAD * threads, m_blocks) : 1;
      const int64_t wn = ceil_div(n_panels, std::min(n_panels, want_chunks)) * NR;
      const int64_t n_chunks = ceil_div(nc, wn);
      const int64_t a_items = ceil_div(ceil_div(mb, MR), A_PANELS_PER_ITEM);
      const int64_t b_items = ceil_div(n_panels, B_PANELS_PER_ITEM);
      for (int64_t pc = 0; pc < g.K; pc += kc_blk, block++) {
        const int64_t kc = std::min(kc_blk, g.K - pc);
        Phase p{index, a_items + b_items, jc, nc, is, mb, pc, kc, mc, wn, a_items, n_chunks,
                static_cast<int>(block % nbuf), true};
        ph[n_phases++] = p;
        index += p.count;
        p.start = index;
        p.count = m_blocks * n_chunks;
        p.pack = false;
        ph[n_phases++] = p;
        index += p.count;
      }
    }
  }
  for (size_t i = 0; i < n_phases; i++) st.done[i].store(0, std::memory_order_relaxed);
  plan.g = &g;
  plan.kernel = kernels().kernel;
  plan.pack_a = kernels().pack_a;
  plan.pack_b = kernels().pack_b;
  plan.phases = ph;
  plan.done = st.done;
  plan.n_phases = n_phases;
  plan.nbuf = static_cast<size_t>(nbuf);
  plan.total = index;
  return true;
}

void run_item(const Plan& plan, const Phase& ph, int64_t item) {
  const Gemm& g = *plan.g;
  float* pa = plan.pa[ph.buf];
  float* pb = plan.pb[ph.buf];
  if (ph.pack) {
    if (item < ph.a_items) {
      const int64_t r0 = item * A_PANELS_PER_ITEM * MR;
      const int64_t rows = std::min(A_PANELS_PER_ITEM * MR, ph.mb - r0);
      plan.pack_a(g, ph.is + r0, rows, ph.pc, ph.kc, pa + r0 * ph.kc);
    } else {
      const int64_t c0 = (item - ph.a_items) * B_PANELS_PER_ITEM * NR;
      const int64_t cols = std::min(B_PANELS_PER_ITEM * NR, ph.nc - c0);
      plan.pack_b(g, ph.pc, ph.kc, ph.jc + c0, cols, pb + c0 * ph.kc);
    }
    return;
  }
  // Compute item: rows [r0, r1) x columns [c0, c1) of the block. Each B micro-panel is
  // loaded into L1 once and swept down all the item's A micro-panels (which sit in L2).
  const int64_t r0 = (item / ph.n_chunks) * ph.mc, c0 = (item % ph.n_chunks) * ph.wn;
  const int64_t r1 = std::min(ph.mb, r0 + ph.mc), c1 = std::min(ph.nc, c0 + ph.wn);
  const bool add = g.accumulate || ph.pc > 0;
  const int64_t kc = ph.kc, ldc = g.ldc;
  const KernelFn kernel = plan.kernel;
  for (int64_t jr = c0; jr < c1; jr += NR) {
    const int nr = static_cast<int>(std::min<int64_t>(NR, c1 - jr));
    const float* bp = pb + jr * kc;
    float* cc = g.C + ph.is * ldc + ph.jc + jr;
    for (int64_t ir = r0; ir < r1; ir += MR) {
      const int mr = static_cast<int>(std::min<int64_t>(MR, r1 - ir));
      kernel(kc, pa + ir * kc, bp, cc + ir * ldc, ldc, add, mr, nr);
    }
  }
}

inline void cpu_relax() {
#if OELLM_GEMM_X86
  _mm_pause();
#endif
}

inline void wait_phase(const Plan& plan, size_t q) {
  const int64_t need = plan.phases[q].count;
  for (int spins = 0; plan.done[q].load(std::memory_order_acquire) < need; spins++) {
    if (spins < 200)
      cpu_relax();
    else
      std::this_thread::yield();
  }
}

// Claims and runs items until none are left. Any number of threads may run this at once.
void run_plan(Plan& plan) {
  size_t pi = 0;
  for (;;) {
    const int64_t item = plan.next.fetch_add(1, std::memory_order_relaxed);
    if (item >= plan.total) return;
    while (pi + 1 < plan.n_phases && plan.phases[pi + 1].start <= item) pi++;
    const Phase& ph = plan.phases[pi];
    // Phases are laid out pack, compute, pack, compute, ...: block b = pi / 2.
    if (ph.pack) {
      const size_t back = 2 * plan.nbuf - 1;  // compute of block b - nbuf: last user of the buffers
      if (pi >= back) wait_phase(plan, pi - back);
    } else {
      wait_phase(plan, pi - 1);               // pack of block b
      if (pi >= 2) wait_phase(plan, pi - 2);  // compute of block b-1
    }
    run_item(plan, ph, item - ph.start);
    plan.done[pi].fetch_add(1, std::memory_order_acq_rel);
    plan.finished.fetch_add(1, std::memory_order_release);
  }
}

// How many threads a product of this size deserves.
int threads_for(const Gemm& g, int pool_threads) {
  const double macs = double(g.M) * double(g.N) * double(g.K);
  const double by_work = macs / double(kMinMacsPerThread);
  const int64_t tiles = ceil_div(g.M, MR) * ceil_div(g.N, NR);
  return static_cast<int>(std::max<double>(1, std::min<double>({double(pool_threads), by_work, double(tiles)})));
}

// One product on the calling thread (threads == 1) or on `threads` pool chunks (K > 0).
void gemm_run(const Gemm& g, int threads, ThreadPool* pool) {
  Plan plan;
  if (!make_plan(g, threads, plan)) {
    gemm_naive(g);
    return;
  }
  if (threads <= 1 || pool == nullptr) {
    run_plan(plan);
    return;
  }
  pool->parallel_for(threads, [&plan](std::ptrdiff_t, std::ptrdiff_t, int chunk) {
    run_plan(plan);
    // The caller (chunk 0) waits here, spinning, for the other threads' last items: they end
    // within one item's time, and sleeping in the pool's condition variable instead would
    // add a wake-up (tens of microseconds on a VM) to every call.
    if (chunk != 0) return;
    for (int spins = 0; plan.finished.load(std::memory_order_acquire) < plan.total; spins++) {
      if (spins < 4096)
        cpu_relax();
      else
        std::this_thread::yield();
    }
  });
}

// Skinny products. Returns false unless the shape is one of:
//  * AXPY: M <= SKINNY_AXPY_ROWS, B not transposed. Each row of C is x * B, accumulated as
//    y[j0:j0+64] += x[p] * B[p, j0:j0+64] (gemv_cols) over SKINNY_KB rows of B at a time,
//    which are swept across all the thread's columns: B is read in long contiguous runs, and
//    the small slab just read is still in L1 for the other rows of C.
//  * DOT: M <= SKINNY_DOT_ROWS, B transposed. C[i, j] is the dot product of op(A)'s row i
//    with B's stored row j (gemv_rows); four rows of B stay in L1 for all rows of A.
//  * COLUMN: N == 1. C's column is op(A) times one vector (gemv_rows or gemv_cols).
// Packing the big operand would cost more than these few uses of it. Work is split into static
// blocks of output columns (rows for COLUMN); every output element is a fixed-order sum,
// whichever thread computes it.
constexpr int64_t SKINNY_DOT_ROWS = 4;
constexpr int64_t SKINNY_KB = 8;  // AXPY: rows of B per sweep (measured best of 4..128)
thread_local Scratch tl_gemv;

bool gemm_skinny(const Gemm& g, int threads, ThreadPool* pool) {
  const KernelSet& ks = kernels();
  enum { AXPY, DOT, COLUMN } kind;
  if (!g.transB && g.M <= SKINNY_AXPY_ROWS)
    kind = AXPY;
  else if (g.transB && g.M <= SKINNY_DOT_ROWS)
    kind = DOT;
  else if (g.N == 1)
    kind = COLUMN;
  else
    return false;

  // Output elements along which the work is split, in blocks of GEMV_COLS.
  const int64_t n_out = kind == COLUMN ? g.M : g.N;
  const int64_t units = ceil_div(n_out, GEMV_COLS);
  threads = static_cast<int>(std::min<int64_t>(threads, units));

  // Contiguous copies of strided vectors that gemv_rows reads with vector loads.
  const float* xs = nullptr;
  bool col_dot = false;  // COLUMN: gemv_rows (dot products) rather than gemv_cols
  if (kind == DOT) {
    if (g.transA) {
      float* buf = tl_gemv.get(static_cast<size_t>(g.M * g.K));
      if (buf == nullptr) return false;
      for (int64_t p = 0; p < g.K; p++)
        for (int64_t i = 0; i < g.M; i++) buf[i * g.K + p] = g.A[p * g.lda + i];
      xs = buf;
    }
  } else if (kind == COLUMN) {
    col_dot = !g.transA;
    if (col_dot && !g.transB) {
      float* buf = tl_gemv.get(static_cast<size_t>(g.K));
      if (buf == nullptr) return false;
      for (int64_t p = 0; p < g.K; p++) buf[p] = g.B[p * g.ldb];
      xs = buf;
    } else if (col_dot) {
      xs = g.B;  // B(p, 0) = B[p]
    }
  }

  auto run = [&](int64_t u0, int64_t u1) {
    if (kind == AXPY) {
      // k blocks outermost: a few rows of B are swept left to right across the thread's
      // columns (contiguous, prefetch friendly) while C's rows stay in L1/L2.
      const int64_t incx = g.transA ? g.lda : 1;
      const int64_t j0 = u0 * GEMV_COLS, j1 = std::min(g.N, u1 * GEMV_COLS);
      for (int64_t p0 = 0; p0 < g.K; p0 += SKINNY_KB) {
        const int64_t kb = std::min(SKINNY_KB, g.K - p0);
        for (int64_t jb = j0; jb < j1; jb += GEMV_COLS) {
          const int64_t nb = std::min(GEMV_COLS, j1 - jb);
          for (int64_t i = 0; i < g.M; i++) {
            const float* x = (g.transA ? g.A + i : g.A + i * g.lda) + p0 * incx;
            ks.gemv_cols(nb, kb, x, incx, g.B + p0 * g.ldb + jb, g.ldb, g.C + i * g.ldc + jb,
                         g.accumulate || p0 > 0);
          }
        }
      }
      return;
    }
    for (int64_t u = u0; u < u1; u++) {
      const int64_t j0 = u * GEMV_COLS, nb = std::min(GEMV_COLS, n_out - j0);
      if (kind == DOT) {
        for (int64_t i = 0; i < g.M; i++) {
          const float* x = xs != nullptr ? xs + i * g.K : g.A + i * g.lda;
          ks.gemv_rows(nb, g.K, x, g.B + j0 * g.ldb, g.ldb, g.C + i * g.ldc + j0, 1, g.accumulate);
        }
      } else if (col_dot) {
        ks.gemv_rows(nb, g.K, xs, g.A + j0 * g.lda, g.lda, g.C + j0 * g.ldc, g.ldc, g.accumulate);
      } else {
        // op(A) = A^T: stored rows of A run along i; C's column is strided, so go via a buffer.
        float y[GEMV_COLS];
        for (int64_t q = 0; q < nb; q++) y[q] = g.C[(j0 + q) * g.ldc];
        ks.gemv_cols(nb, g.K, g.B, g.transB ? 1 : g.ldb, g.A + j0, g.lda, y, g.accumulate);
        for (int64_t q = 0; q < nb; q++) g.C[(j0 + q) * g.ldc] = y[q];
      }
    }
  };
  if (threads <= 1 || pool == nullptr) {
    run(0, units);
  } else {
    // The pool takes a std::function: capture one pointer so it never needs the heap.
    struct Split {
      const decltype(run)* fn;
      int64_t units;
      int threads;
    } split{&run, units, threads};
    pool->parallel_for(threads, [sp = &split](std::ptrdiff_t b, std::ptrdiff_t e, int) {
      for (std::ptrdiff_t t = b; t < e; t++) (*sp->fn)(sp->units * t / sp->threads, sp->units * (t + 1) / sp->threads);
    });
  }
  return true;
}

// One product (K > 0): the skinny path if it applies, else the blocked one.
void gemm_product(const Gemm& g, int threads, ThreadPool* pool) {
  if (!gemm_skinny(g, threads, pool)) gemm_run(g, threads, pool);
}

// Entry t of a batch: base pointers advanced by t times the strides (A, B, C).
Gemm batch_entry(const Gemm& base, const int64_t* strides, int64_t t) {
  Gemm g = base;
  g.A += t * strides[0];
  g.B += t * strides[1];
  g.C += t * strides[2];
  return g;
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
  gemm_product(g, threads_for(g, pool.size()), &pool);
}

void sgemm_batched(int64_t batch, int64_t M, int64_t N, int64_t K, const float* A, int64_t strideA, int64_t lda,
                   bool transA, const float* B, int64_t strideB, int64_t ldb, bool transB, float* C,
                   int64_t strideC, int64_t ldc, bool accumulate, ThreadPool& pool) {
  if (batch <= 0 || M <= 0 || N <= 0) return;
  const Gemm g0{M, N, K, A, lda, transA, B, ldb, transB, C, ldc, accumulate};
  const int64_t strides[3] = {strideA, strideB, strideC};

  const int T = pool.size();
  const int per_product = K > 0 ? threads_for(g0, T) : 1;
  const double total_macs = double(batch) * double(M) * double(N) * double(std::max<int64_t>(K, 1));
  const int by_work = static_cast<int>(std::max(1.0, std::min(double(T), total_macs / double(kMinMacsPerThread))));
  const int chunks = static_cast<int>(std::min<int64_t>(by_work, batch));

  // Across batches (each thread runs whole products, claimed dynamically) unless C is shared
  // between entries (stride 0: they must run in order), or there are too few products to go
  // round and each is big enough to split.
  const bool c_shared = strideC == 0 && batch > 1;
  const bool across = !c_shared && chunks > 1 && (batch >= 2 * int64_t(T) || per_product < T);
  if (across) {
    struct Across {
      const Gemm* base;
      const int64_t* strides;
      int64_t batch;
      std::atomic<int64_t> next{0};
    } job{&g0, strides, batch};
    // One pointer captured: the std::function the pool takes never needs the heap.
    pool.parallel_for(chunks, [jp = &job](std::ptrdiff_t, std::ptrdiff_t, int) {
      for (int64_t t; (t = jp->next.fetch_add(1, std::memory_order_relaxed)) < jp->batch;) {
        const Gemm g = batch_entry(*jp->base, jp->strides, t);
        if (g.K <= 0)
          zero_or_keep(g);
        else
          gemm_product(g, 1, nullptr);
      }
    });
    return;
  }
  for (int64_t t = 0; t < batch; t++) {
    const Gemm g = batch_entry(g0, strides, t);
    if (K <= 0)
      zero_or_keep(g);
    else
      gemm_product(g, per_product, &pool);
  }
}

const std::string& gemm_kernel_name() { return kernels().name; }

}  // namespace oellm
