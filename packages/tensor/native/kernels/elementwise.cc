#include "elementwise.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

namespace oellm {

namespace {

constexpr int64_t kGrain = 1 << 15;  // elements per chunk below which threads are not worth it

// Merges adjacent dims that every operand walks contiguously; returns the new rank.
// strides[k] points to operand k's strides (modified in place), shape likewise.
int coalesce(int rank, int64_t* shape, int nops, int64_t** strides) {
  if (rank <= 1) return rank;
  int out = 0;
  for (int d = 0; d < rank; d++) {
    if (out > 0) {
      bool merge = true;
      for (int k = 0; k < nops; k++) {
        if (strides[k][out - 1] != strides[k][d] * shape[d]) merge = false;
      }
      if (merge || shape[d] == 1) {
        if (shape[d] != 1) {
          shape[out - 1] *= shape[d];
          for (int k = 0; k < nops; k++) strides[k][out - 1] = strides[k][d];
        }
        continue;
      }
      if (shape[out - 1] == 1) {
        shape[out - 1] = shape[d];
        for (int k = 0; k < nops; k++) strides[k][out - 1] = strides[k][d];
        continue;
      }
    }
    shape[out] = shape[d];
    for (int k = 0; k < nops; k++) strides[k][out] = strides[k][d];
    out++;
  }
  return out == 0 ? 1 : out;
}

// Walks logical elements [begin, end) of `shape` for N strided operands, calling
// body(i, off0, off1, ...) with the linear index and each operand's element offset.
template <int N, class F>
void walk(int rank, const int64_t* shape, int64_t* const* strides, const int64_t* base, int64_t begin, int64_t end,
          F&& body) {
  if (begin >= end) return;
  int64_t idx[kMaxRank];
  int64_t off[N];
  int64_t rem = begin;
  for (int k = 0; k < N; k++) off[k] = base[k];
  for (int d = rank - 1; d >= 0; d--) {
    idx[d] = rem % shape[d];
    rem /= shape[d];
    for (int k = 0; k < N; k++) off[k] += idx[d] * strides[k][d];
  }
  const int last = rank - 1;
  int64_t i = begin;
  while (i < end) {
    int64_t run = std::min(shape[last] - idx[last], end - i);
    body(i, run, off);
    i += run;
    // advance the odometer by `run` along the last dim, carrying
    idx[last] += run;
    for (int k = 0; k < N; k++) off[k] += run * strides[k][last];
    for (int d = last; d > 0 && idx[d] == shape[d]; d--) {
      idx[d] = 0;
      for (int k = 0; k < N; k++) off[k] -= shape[d] * strides[k][d];
      idx[d - 1]++;
      for (int k = 0; k < N; k++) off[k] += strides[k][d - 1];
    }
  }
}

// The shape and per-operand strides of an elementwise walk over `rank` dims, with rank 0
// promoted to one dim of 1 and adjacent dims merged where every operand allows. An operand
// given as nullptr strides is the contiguous output.
template <int N>
struct WalkPlan {
  int rank;
  int64_t n = 1;
  int64_t shape[kMaxRank];
  int64_t st[N][kMaxRank];
  int64_t* strides[N];

  // The stride of operand k along the innermost (fastest) dim.
  int64_t inner(int k) const { return st[k][rank - 1]; }

  WalkPlan(int r, const int64_t* shape_in, const int64_t* const (&in)[N], bool merge = true) : rank(r) {
    for (int k = 0; k < N; k++) strides[k] = st[k];
    for (int d = 0; d < rank; d++) {
      shape[d] = shape_in[d];
      n *= shape[d];
    }
    if (rank == 0) {
      rank = 1;
      shape[0] = 1;
    }
    for (int k = 0; k < N; k++) {
      int64_t s = 1;
      for (int d = rank - 1; d >= 0; d--) {
        st[k][d] = r == 0 ? 1 : in[k] ? in[k][d] : s;
        s *= shape[d];
      }
    }
    if (merge) rank = coalesce(rank, shape, N, strides);
  }
};

template <class T>
inline T load(const void* p, int64_t i) {
  return static_cast<const T*>(p)[i];
}

inline float to_f(const Strided& s, int64_t i) {
  return s.dtype == DType::F32 ? static_cast<const float*>(s.data)[i]
                               : static_cast<float>(static_cast<const int32_t*>(s.data)[i]);
}

inline int32_t f_to_i(float v) {
  // truncation toward zero, NaN -> 0, saturating (as the js backend's Int32Array store is not,
  // but every in-range value agrees)
  if (std::isnan(v)) return 0;
  if (v >= 2147483647.0f) return std::numeric_limits<int32_t>::max();
  if (v <= -2147483648.0f) return std::numeric_limits<int32_t>::min();
  return static_cast<int32_t>(v);
}

}  // namespace

void strided_copy(int rank, const int64_t* shape_in, const Strided& src, const Strided& dst, ThreadPool& pool) {
  WalkPlan<2> p(rank, shape_in, {src.strides, dst.strides});
  if (p.n == 0) return;
  const int64_t base[2] = {src.offset, dst.offset};
  pool.parallel_for(
      p.n,
      [&](int64_t b, int64_t e, int) {
        walk<2>(p.rank, p.shape, p.strides, base, b, e, [&](int64_t, int64_t run, const int64_t* off) {
          const int64_t s0 = p.inner(0), d0 = p.inner(1);
          if (src.dtype == DType::F32 && dst.dtype == DType::F32) {
            const float* s = static_cast<const float*>(src.data) + off[0];
            float* d = static_cast<float*>(dst.data) + off[1];
            if (s0 == 1 && d0 == 1) std::memcpy(d, s, run * sizeof(float));
            else for (int64_t j = 0; j < run; j++) d[j * d0] = s[j * s0];
          } else if (src.dtype == DType::I32 && dst.dtype == DType::I32) {
            const int32_t* s = static_cast<const int32_t*>(src.data) + off[0];
            int32_t* d = static_cast<int32_t*>(dst.data) + off[1];
            if (s0 == 1 && d0 == 1) std::memcpy(d, s, run * sizeof(int32_t));
            else for (int64_t j = 0; j < run; j++) d[j * d0] = s[j * s0];
          } else if (src.dtype == DType::I32) {
            const int32_t* s = static_cast<const int32_t*>(src.data) + off[0];
            float* d = static_cast<float*>(dst.data) + off[1];
            for (int64_t j = 0; j < run; j++) d[j * d0] = static_cast<float>(s[j * s0]);
          } else {
            const float* s = static_cast<const float*>(src.data) + off[0];
            int32_t* d = static_cast<int32_t*>(dst.data) + off[1];
            for (int64_t j = 0; j < run; j++) d[j * d0] = f_to_i(s[j * s0]);
          }
        });
      },
      kGrain);
}

namespace {

inline float erf_f(float x) { return std::erf(x); }

template <class T>
void unary_loop(UnaryOp op, const T* x, T* o, int64_t n) {
  switch (op) {
    case UnaryOp::Neg: for (int64_t i = 0; i < n; i++) o[i] = -x[i]; break;
    case UnaryOp::Abs: for (int64_t i = 0; i < n; i++) o[i] = x[i] < 0 ? -x[i] : x[i]; break;
    case UnaryOp::Sign:
      for (int64_t i = 0; i < n; i++) o[i] = x[i] > 0 ? T(1) : x[i] < 0 ? T(-1) : x[i];
      break;
    default: {
      if constexpr (std::is_same<T, float>::value) {
        switch (op) {
          case UnaryOp::Exp: for (int64_t i = 0; i < n; i++) o[i] = std::exp(x[i]); break;
          case UnaryOp::Log: for (int64_t i = 0; i < n; i++) o[i] = std::log(x[i]); break;
          case UnaryOp::Sqrt: for (int64_t i = 0; i < n; i++) o[i] = std::sqrt(x[i]); break;
          case UnaryOp::Rsqrt: for (int64_t i = 0; i < n; i++) o[i] = 1.0f / std::sqrt(x[i]); break;
          case UnaryOp::Tanh: for (int64_t i = 0; i < n; i++) o[i] = std::tanh(x[i]); break;
          case UnaryOp::Sigmoid:
            for (int64_t i = 0; i < n; i++) {
              float v = x[i];
              if (v >= 0) o[i] = 1.0f / (1.0f + std::exp(-v));
              else {
                float e = std::exp(v);
                o[i] = e / (1.0f + e);
              }
            }
            break;
          case UnaryOp::Erf: for (int64_t i = 0; i < n; i++) o[i] = erf_f(x[i]); break;
          case UnaryOp::Sin: for (int64_t i = 0; i < n; i++) o[i] = std::sin(x[i]); break;
          case UnaryOp::Cos: for (int64_t i = 0; i < n; i++) o[i] = std::cos(x[i]); break;
          case UnaryOp::Reciprocal: for (int64_t i = 0; i < n; i++) o[i] = 1.0f / x[i]; break;
          default: break;
        }
      }
    }
  }
}

}  // namespace

void unary(UnaryOp op, DType dtype, const void* x, void* out, int64_t n, ThreadPool& pool) {
  pool.parallel_for(
      n,
      [&](int64_t b, int64_t e, int) {
        if (dtype == DType::F32) unary_loop(op, static_cast<const float*>(x) + b, static_cast<float*>(out) + b, e - b);
        else unary_loop(op, static_cast<const int32_t*>(x) + b, static_cast<int32_t*>(out) + b, e - b);
      },
      kGrain / 4);
}

namespace {

template <class T, class O>
inline O apply(BinaryOp op, T x, T y) {
  switch (op) {
    case BinaryOp::Add: return static_cast<O>(x + y);
    case BinaryOp::Sub: return static_cast<O>(x - y);
    case BinaryOp::Mul: return static_cast<O>(x * y);
    case BinaryOp::Div: return static_cast<O>(static_cast<float>(x) / static_cast<float>(y));
    case BinaryOp::Pow: return static_cast<O>(std::pow(static_cast<double>(x), static_cast<double>(y)));
    case BinaryOp::Maximum:
      if constexpr (std::is_same<T, float>::value) {
        if (std::isnan(x) || std::isnan(y)) return static_cast<O>(std::numeric_limits<float>::quiet_NaN());
      }
      return static_cast<O>(x > y ? x : y);
    case BinaryOp::Minimum:
      if constexpr (std::is_same<T, float>::value) {
        if (std::isnan(x) || std::isnan(y)) return static_cast<O>(std::numeric_limits<float>::quiet_NaN());
      }
      return static_cast<O>(x < y ? x : y);
    case BinaryOp::Eq: return static_cast<O>(x == y);
    case BinaryOp::Ne: return static_cast<O>(x != y);
    case BinaryOp::Lt: return static_cast<O>(x < y);
    case BinaryOp::Le: return static_cast<O>(x <= y);
    case BinaryOp::Gt: return static_cast<O>(x > y);
    case BinaryOp::Ge: return static_cast<O>(x >= y);
    default: return O(0);
  }
}

// The inner loop, specialised per op so the compiler vectorises the common ones.
template <class T, class O>
void binary_run(BinaryOp op, const T* a, int64_t sa, const T* b, int64_t sb, O* o, int64_t n) {
#define OELLM_LOOP(EXPR)                                                                    \
  if (sa == 1 && sb == 1) for (int64_t j = 0; j < n; j++) { T x = a[j], y = b[j]; o[j] = EXPR; } \
  else if (sa == 1 && sb == 0) { T y = b[0]; for (int64_t j = 0; j < n; j++) { T x = a[j]; o[j] = EXPR; } } \
  else if (sa == 0 && sb == 1) { T x = a[0]; for (int64_t j = 0; j < n; j++) { T y = b[j]; o[j] = EXPR; } } \
  else for (int64_t j = 0; j < n; j++) { T x = a[j * sa], y = b[j * sb]; o[j] = EXPR; }
  switch (op) {
    case BinaryOp::Add: OELLM_LOOP(static_cast<O>(x + y)) return;
    case BinaryOp::Sub: OELLM_LOOP(static_cast<O>(x - y)) return;
    case BinaryOp::Mul:
      if constexpr (std::is_same<T, int32_t>::value) {
        // wrap like Math.imul
        OELLM_LOOP(static_cast<O>(static_cast<int32_t>(static_cast<uint32_t>(x) * static_cast<uint32_t>(y))))
      } else {
        OELLM_LOOP(static_cast<O>(x * y))
      }
      return;
    default:
      for (int64_t j = 0; j < n; j++) o[j] = apply<T, O>(op, a[j * sa], b[j * sb]);
  }
#undef OELLM_LOOP
}

}  // namespace

void binary(BinaryOp op, int rank, const int64_t* shape_in, const Strided& a, const Strided& b, void* out,
            DType out_dtype, ThreadPool& pool) {
  WalkPlan<3> p(rank, shape_in, {a.strides, b.strides, nullptr});
  if (p.n == 0) return;
  const int64_t base[3] = {a.offset, b.offset, 0};
  pool.parallel_for(
      p.n,
      [&](int64_t beg, int64_t end, int) {
        walk<3>(p.rank, p.shape, p.strides, base, beg, end, [&](int64_t i, int64_t run, const int64_t* off) {
          const int64_t sa = p.inner(0), sb = p.inner(1);
          if (a.dtype == DType::F32) {
            const float* pa = static_cast<const float*>(a.data) + off[0];
            const float* pb = static_cast<const float*>(b.data) + off[1];
            if (out_dtype == DType::F32) binary_run(op, pa, sa, pb, sb, static_cast<float*>(out) + i, run);
            else binary_run(op, pa, sa, pb, sb, static_cast<int32_t*>(out) + i, run);
          } else {
            const int32_t* pa = static_cast<const int32_t*>(a.data) + off[0];
            const int32_t* pb = static_cast<const int32_t*>(b.data) + off[1];
            if (out_dtype == DType::F32) binary_run(op, pa, sa, pb, sb, static_cast<float*>(out) + i, run);
            else binary_run(op, pa, sa, pb, sb, static_cast<int32_t*>(out) + i, run);
          }
        });
      },
      kGrain);
}

void where(int rank, const int64_t* shape_in, const Strided& cond, const Strided& a, const Strided& b, void* out,
           ThreadPool& pool) {
  // the output index is the linear one, so dims are not merged here
  WalkPlan<3> p(rank, shape_in, {cond.strides, a.strides, b.strides}, false);
  if (p.n == 0) return;
  const int64_t base[3] = {cond.offset, a.offset, b.offset};
  pool.parallel_for(
      p.n,
      [&](int64_t beg, int64_t end, int) {
        walk<3>(p.rank, p.shape, p.strides, base, beg, end, [&](int64_t i, int64_t run, const int64_t* off) {
          const int64_t sc = p.inner(0), sa = p.inner(1), sb = p.inner(2);
          for (int64_t j = 0; j < run; j++) {
            bool c = to_f(cond, off[0] + j * sc) != 0.0f;
            if (a.dtype == DType::F32) {
              static_cast<float*>(out)[i + j] = c ? load<float>(a.data, off[1] + j * sa) : load<float>(b.data, off[2] + j * sb);
            } else {
              static_cast<int32_t*>(out)[i + j] =
                  c ? load<int32_t>(a.data, off[1] + j * sa) : load<int32_t>(b.data, off[2] + j * sb);
            }
          }
        });
      },
      kGrain);
}

namespace {

template <class T>
void reduce_typed(ReduceOp op, const T* x, int64_t outer, int64_t r, int64_t inner, void* out, ThreadPool& pool) {
  const int64_t n_out = outer * inner;
  if (op == ReduceOp::Sum) {
    T* o = static_cast<T*>(out);
    if (inner == 1) {
      // one output per row: rows split across threads, each row summed in double, in order
      pool.parallel_for(
          outer,
          [&](int64_t b, int64_t e, int) {
            for (int64_t row = b; row < e; row++) {
              const T* p = x + row * r;
              double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
              int64_t j = 0;
              for (; j + 4 <= r; j += 4) {
                s0 += p[j];
                s1 += p[j + 1];
                s2 += p[j + 2];
                s3 += p[j + 3];
              }
              for (; j < r; j++) s0 += p[j];
              o[row] = static_cast<T>((s0 + s1) + (s2 + s3));
            }
          },
          std::max<int64_t>(1, kGrain / std::max<int64_t>(1, r)));
    } else {
      pool.parallel_for(
          n_out,
          [&](int64_t b, int64_t e, int) {
            for (int64_t q = b; q < e; q++) {
              const int64_t oo = q / inner, ii = q % inner;
              const T* p = x + oo * r * inner + ii;
              double s = 0;
              for (int64_t j = 0; j < r; j++) s += p[j * inner];
              o[q] = static_cast<T>(s);
            }
          },
          std::max<int64_t>(1, kGrain / std::max<int64_t>(1, r)));
    }
    return;
  }
  const bool is_arg = op == ReduceOp::Argmax || op == ReduceOp::Argmin;
  const bool want_max = op == ReduceOp::Max || op == ReduceOp::Argmax;
  pool.parallel_for(
      n_out,
      [&](int64_t b, int64_t e, int) {
        for (int64_t q = b; q < e; q++) {
          const int64_t oo = q / inner, ii = q % inner;
          const T* p = x + oo * r * inner + ii;
          T best = p[0];
          int64_t best_j = 0;
          bool nan = false;
          if constexpr (std::is_same<T, float>::value) nan = std::isnan(best);
          for (int64_t j = 1; j < r && !nan; j++) {
            T v = p[j * inner];
            bool v_nan = false;
            if constexpr (std::is_same<T, float>::value) v_nan = std::isnan(v);
            if (v_nan || (want_max ? v > best : v < best)) {
              best = v;
              best_j = j;
              nan = v_nan;
            }
          }
          if (is_arg) static_cast<int32_t*>(out)[q] = static_cast<int32_t>(best_j);
          else static_cast<T*>(out)[q] = best;
        }
      },
      std::max<int64_t>(1, kGrain / std::max<int64_t>(1, r)));
}

}  // namespace

void reduce(ReduceOp op, DType dtype, const void* x, int64_t outer, int64_t r, int64_t inner, void* out,
            ThreadPool& pool) {
  if (dtype == DType::F32) reduce_typed(op, static_cast<const float*>(x), outer, r, inner, out, pool);
  else reduce_typed(op, static_cast<const int32_t*>(x), outer, r, inner, out, pool);
}

int64_t index_select(DType dtype, const void* x, int64_t outer, int64_t size, int64_t inner, const int32_t* idx,
                     int64_t count, void* out, ThreadPool& pool) {
  for (int64_t j = 0; j < count; j++) {
    if (idx[j] < 0 || idx[j] >= size) return j;
  }
  const int64_t es = 4;  // both dtypes are 4 bytes
  pool.parallel_for(
      outer * count,
      [&](int64_t b, int64_t e, int) {
        for (int64_t q = b; q < e; q++) {
          const int64_t o = q / count, j = q % count;
          std::memcpy(static_cast<char*>(out) + q * inner * es,
                      static_cast<const char*>(x) + ((o * size + idx[j]) * inner) * es, inner * es);
        }
      },
      std::max<int64_t>(1, kGrain / std::max<int64_t>(1, inner)));
  (void)dtype;
  return -1;
}

int64_t index_add(const float* src, int64_t outer, int64_t count, int64_t inner, const int32_t* idx, int64_t size,
                  float* out, ThreadPool& pool) {
  for (int64_t j = 0; j < count; j++) {
    if (idx[j] < 0 || idx[j] >= size) return j;
  }
  std::memset(out, 0, sizeof(float) * outer * size * inner);
  // split the inner (feature) dimension across threads: each output element is written by one
  // thread, in the order of j, so results repeat bit for bit
  pool.parallel_for(
      inner,
      [&](int64_t b, int64_t e, int) {
        for (int64_t o = 0; o < outer; o++) {
          for (int64_t j = 0; j < count; j++) {
            const float* s = src + (o * count + j) * inner;
            float* d = out + (o * size + idx[j]) * inner;
            for (int64_t i = b; i < e; i++) d[i] += s[i];
          }
        }
      },
      64);
  return -1;
}

namespace {
template <class F>
int64_t gather_positions(int rank, const int64_t* shape, int axis, const int32_t* idx, const int64_t* idx_shape,
                         F&& fn) {
  int64_t n = 1;
  for (int d = 0; d < rank; d++) n *= idx_shape[d];
  int64_t src_strides[kMaxRank];
  for (int d = rank - 1, s = 1; d >= 0; d--) {
    src_strides[d] = s;
    s *= shape[d];
  }
  int64_t coord[kMaxRank] = {0};
  for (int64_t p = 0; p < n; p++) {
    const int32_t v = idx[p];
    if (v < 0 || v >= shape[axis]) return p;
    int64_t q = 0;
    for (int d = 0; d < rank; d++) q += (d == axis ? v : coord[d]) * src_strides[d];
    fn(p, q);
    for (int d = rank - 1; d >= 0; d--) {
      if (++coord[d] < idx_shape[d]) break;
      coord[d] = 0;
    }
  }
  return -1;
}
}  // namespace

int64_t gather(DType dtype, const void* x, int rank, const int64_t* shape, int axis, const int32_t* idx,
               const int64_t* idx_shape, void* out) {
  if (dtype == DType::F32) {
    return gather_positions(rank, shape, axis, idx, idx_shape, [&](int64_t p, int64_t q) {
      static_cast<float*>(out)[p] = static_cast<const float*>(x)[q];
    });
  }
  return gather_positions(rank, shape, axis, idx, idx_shape, [&](int64_t p, int64_t q) {
    static_cast<int32_t*>(out)[p] = static_cast<const int32_t*>(x)[q];
  });
}

int64_t scatter_add(const float* src, const int32_t* idx, int rank, const int64_t* idx_shape, int axis,
                    const int64_t* shape, float* out) {
  int64_t n = 1;
  for (int d = 0; d < rank; d++) n *= shape[d];
  std::memset(out, 0, sizeof(float) * n);
  return gather_positions(rank, shape, axis, idx, idx_shape, [&](int64_t p, int64_t q) { out[q] += src[p]; });
}

}  // namespace oellm
