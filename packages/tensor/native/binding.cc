// The N-API binding of the native backend. It only checks arguments and binds: every typed
// array's type and length is checked against the shapes given before a kernel touches memory,
// and no C++ exception crosses into JavaScript (each becomes a JS Error naming the function).
// Outputs are typed arrays allocated by the caller (src/native/backend.ts).

#include <napi.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#if defined(__GLIBC__)
#include <malloc.h>
#endif
#include <stdexcept>
#include <string>
#include <vector>

#include "kernels/elementwise.h"
#include "kernels/gemm.h"
#include "kernels/nn.h"
#include "kernels/thread_pool.h"

namespace {

using oellm::DType;
using oellm::kMaxRank;

constexpr int64_t kMaxSafe = 9007199254740991;  // 2^53 - 1

struct Fail : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct Args {
  const Napi::CallbackInfo& info;
  const char* fn;

  [[noreturn]] void fail(const std::string& msg) const { throw Fail(msg); }

  Napi::Value at(size_t i, const char* name) const {
    if (i >= info.Length()) fail(std::string("missing argument '") + name + "'");
    return info[i];
  }

  int64_t integer(size_t i, const char* name, int64_t lo = 0, int64_t hi = kMaxSafe) const {
    Napi::Value v = at(i, name);
    if (!v.IsNumber()) fail(std::string("argument '") + name + "' must be a number");
    double d = v.As<Napi::Number>().DoubleValue();
    if (!std::isfinite(d) || d != std::floor(d) || d < static_cast<double>(lo) || d > static_cast<double>(hi)) {
      fail(std::string("argument '") + name + "' must be an integer in [" + std::to_string(lo) + ", " +
           std::to_string(hi) + "], got " + std::to_string(d));
    }
    return static_cast<int64_t>(d);
  }

  double number(size_t i, const char* name) const {
    Napi::Value v = at(i, name);
    if (!v.IsNumber()) fail(std::string("argument '") + name + "' must be a number");
    return v.As<Napi::Number>().DoubleValue();
  }

  bool boolean(size_t i, const char* name) const {
    Napi::Value v = at(i, name);
    if (!v.IsBoolean()) fail(std::string("argument '") + name + "' must be a boolean");
    return v.As<Napi::Boolean>().Value();
  }

  // A Float32Array or Int32Array (or either when `want` is null) of at least `need` elements.
  void* typed(size_t i, const char* name, const DType* want, int64_t need, DType* got = nullptr) const {
    Napi::Value v = at(i, name);
    if (!v.IsTypedArray()) fail(std::string("argument '") + name + "' must be a Float32Array or Int32Array");
    Napi::TypedArray t = v.As<Napi::TypedArray>();
    DType dt;
    if (t.TypedArrayType() == napi_float32_array) dt = DType::F32;
    else if (t.TypedArrayType() == napi_int32_array) dt = DType::I32;
    else fail(std::string("argument '") + name + "' must be a Float32Array or Int32Array");
    if (want && dt != *want) {
      fail(std::string("argument '") + name + "' must be a " +
           (*want == DType::F32 ? "Float32Array" : "Int32Array"));
    }
    Napi::ArrayBuffer ab = t.ArrayBuffer();
    if (ab.IsDetached()) fail(std::string("argument '") + name + "' is backed by a detached ArrayBuffer");
    int64_t len = static_cast<int64_t>(t.ElementLength());
    if (len < need) {
      fail(std::string("argument '") + name + "' has " + std::to_string(len) + " elements, needs " +
           std::to_string(need));
    }
    if (got) *got = dt;
    if (need == 0) return nullptr;
    return static_cast<uint8_t*>(ab.Data()) + t.ByteOffset();
  }

  float* f32(size_t i, const char* name, int64_t need) const {
    static const DType f = DType::F32;
    return static_cast<float*>(typed(i, name, &f, need));
  }
  int32_t* i32(size_t i, const char* name, int64_t need) const {
    static const DType d = DType::I32;
    return static_cast<int32_t*>(typed(i, name, &d, need));
  }
  float* f32_or_null(size_t i, const char* name, int64_t need) const {
    Napi::Value v = at(i, name);
    if (v.IsNull() || v.IsUndefined()) return nullptr;
    return f32(i, name, need);
  }

  std::vector<int64_t> ints(size_t i, const char* name, size_t max_len = kMaxRank) const {
    Napi::Value v = at(i, name);
    if (!v.IsArray()) fail(std::string("argument '") + name + "' must be an array of integers");
    Napi::Array a = v.As<Napi::Array>();
    if (a.Length() > max_len) fail(std::string("argument '") + name + "' has more than " + std::to_string(max_len) + " entries");
    std::vector<int64_t> out(a.Length());
    for (uint32_t k = 0; k < a.Length(); k++) {
      Napi::Value e = a.Get(k);
      if (!e.IsNumber()) fail(std::string("argument '") + name + "' must hold integers");
      double d = e.As<Napi::Number>().DoubleValue();
      if (!std::isfinite(d) || d != std::floor(d) || d < 0 || d > kMaxSafe) {
        fail(std::string("argument '") + name + "' must hold non-negative integers");
      }
      out[k] = static_cast<int64_t>(d);
    }
    return out;
  }
};

// Product of dims, failing on overflow past 2^53.
int64_t product(const Args& a, const std::vector<int64_t>& dims, const char* name) {
  int64_t n = 1;
  for (int64_t d : dims) {
    if (d != 0 && n > kMaxSafe / d) a.fail(std::string("'") + name + "' has too many elements");
    n *= d;
  }
  return n;
}

int64_t mul(const Args& a, int64_t x, int64_t y) {
  if (x != 0 && y > kMaxSafe / x) a.fail("sizes overflow");
  return x * y;
}

// Reads a strided view (buffer, strides, offset) over `shape` and checks every reachable index.
oellm::Strided strided(const Args& a, size_t buf_i, size_t strides_i, size_t offset_i, const char* name,
                       const std::vector<int64_t>& shape, const DType* want) {
  oellm::Strided s{};
  std::vector<int64_t> st = a.ints(strides_i, "strides");
  if (st.size() != shape.size()) a.fail(std::string("strides of '") + name + "' do not match the shape's rank");
  int64_t off = a.integer(offset_i, "offset");
  int64_t n = product(a, shape, name);
  int64_t last = off;
  for (size_t d = 0; d < shape.size(); d++) {
    if (shape[d] > 0) last += mul(a, shape[d] - 1, st[d]);
    if (last > kMaxSafe) a.fail("sizes overflow");
  }
  DType dt;
  s.data = a.typed(buf_i, name, want, n == 0 ? 0 : last + 1, &dt);
  s.dtype = dt;
  s.offset = off;
  for (size_t d = 0; d < shape.size(); d++) s.strides[d] = st[d];
  return s;
}

#define OELLM_EXPORT(NAME)                                                            \
  Napi::Value NAME##_impl(const Args& a);                                             \
  Napi::Value NAME(const Napi::CallbackInfo& info) {                                  \
    Args a{info, #NAME};                                                              \
    try {                                                                             \
      return NAME##_impl(a);                                                          \
    } catch (const Napi::Error&) {                                                    \
      throw;                                                                          \
    } catch (const std::exception& e) {                                               \
      throw Napi::Error::New(info.Env(), std::string("native.") + #NAME + ": " + e.what()); \
    } catch (...) {                                                                   \
      throw Napi::Error::New(info.Env(), std::string("native.") + #NAME + ": unknown failure"); \
    }                                                                                 \
  }                                                                                   \
  Napi::Value NAME##_impl(const Args& a)

oellm::ThreadPool& pool() { return oellm::global_pool(); }

// Training allocates and frees the same large activation buffers every step. glibc serves
// blocks above its mmap threshold (at most 32 MiB) with fresh mmap()s, and each page of those
// faults on first touch, which costs ~120 ms per 32 MiB here; keeping them in the heap lets
// the next step reuse them. OELLM_MALLOC_TUNING=0 leaves glibc's defaults alone.
bool tune_malloc() {
#if defined(__GLIBC__)
  const char* env = std::getenv("OELLM_MALLOC_TUNING");
  if (env && std::string(env) == "0") return false;
  mallopt(M_MMAP_MAX, 0);
  mallopt(M_TRIM_THRESHOLD, 256 * 1024 * 1024);
  return true;
#else
  return false;
#endif
}

const bool g_malloc_tuned = tune_malloc();

// info() -> { kernel, threads }
OELLM_EXPORT(info) {
  Napi::Object o = Napi::Object::New(a.info.Env());
  o.Set("gemmKernel", oellm::gemm_kernel_name());
  o.Set("threads", pool().size());
  o.Set("mallocTuned", g_malloc_tuned);
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  o.Set("avx2", __builtin_cpu_supports("avx2") != 0);
  o.Set("fma", __builtin_cpu_supports("fma") != 0);
  o.Set("arch", "x86_64");
#elif defined(__aarch64__)
  o.Set("arch", "arm64");
#else
  o.Set("arch", "other");
#endif
  return o;
}

// setNumThreads(n)
OELLM_EXPORT(setNumThreads) {
  oellm::set_global_threads(static_cast<int>(a.integer(0, "threads", 1, 1024)));
  return a.info.Env().Undefined();
}

// copy(src, srcStrides, srcOffset, dst, dstStrides, dstOffset, shape)
OELLM_EXPORT(copy) {
  auto shape = a.ints(6, "shape");
  auto src = strided(a, 0, 1, 2, "src", shape, nullptr);
  auto dst = strided(a, 3, 4, 5, "dst", shape, nullptr);
  oellm::strided_copy(static_cast<int>(shape.size()), shape.data(), src, dst, pool());
  return a.info.Env().Undefined();
}

// unary(op, x, out, n)
OELLM_EXPORT(unary) {
  int op = static_cast<int>(a.integer(0, "op", 0, static_cast<int64_t>(oellm::UnaryOp::Count) - 1));
  int64_t n = a.integer(3, "n");
  DType dt;
  void* x = a.typed(1, "x", nullptr, n, &dt);
  void* out = a.typed(2, "out", &dt, n);
  if (dt == DType::I32 && op != 0 && op != 5 && op != 6) a.fail("this op needs float32 input");
  oellm::unary(static_cast<oellm::UnaryOp>(op), dt, x, out, n, pool());
  return a.info.Env().Undefined();
}

// binary(op, a, aStrides, aOffset, b, bStrides, bOffset, out, shape)
OELLM_EXPORT(binary) {
  int op = static_cast<int>(a.integer(0, "op", 0, static_cast<int64_t>(oellm::BinaryOp::Count) - 1));
  auto shape = a.ints(8, "shape");
  auto va = strided(a, 1, 2, 3, "a", shape, nullptr);
  auto vb = strided(a, 4, 5, 6, "b", shape, &va.dtype);
  DType odt;
  void* out = a.typed(7, "out", nullptr, product(a, shape, "out"), &odt);
  bool cmp = op >= static_cast<int>(oellm::BinaryOp::Eq);
  if (cmp && odt != DType::I32) a.fail("comparisons write an Int32Array");
  if (!cmp && odt != va.dtype) a.fail("'out' must have the inputs' dtype");
  oellm::binary(static_cast<oellm::BinaryOp>(op), static_cast<int>(shape.size()), shape.data(), va, vb, out, odt,
                pool());
  return a.info.Env().Undefined();
}

// where(c, cStrides, cOffset, a, aStrides, aOffset, b, bStrides, bOffset, out, shape)
OELLM_EXPORT(where) {
  auto shape = a.ints(10, "shape");
  auto vc = strided(a, 0, 1, 2, "cond", shape, nullptr);
  auto va = strided(a, 3, 4, 5, "a", shape, nullptr);
  auto vb = strided(a, 6, 7, 8, "b", shape, &va.dtype);
  void* out = a.typed(9, "out", &va.dtype, product(a, shape, "out"));
  oellm::where(static_cast<int>(shape.size()), shape.data(), vc, va, vb, out, pool());
  return a.info.Env().Undefined();
}

// reduce(op, x, outer, r, inner, out)
OELLM_EXPORT(reduce) {
  int op = static_cast<int>(a.integer(0, "op", 0, static_cast<int64_t>(oellm::ReduceOp::Count) - 1));
  int64_t outer = a.integer(2, "outer"), r = a.integer(3, "r"), inner = a.integer(4, "inner");
  int64_t n_out = mul(a, outer, inner);
  int64_t n_in = mul(a, n_out, r);
  DType dt;
  void* x = a.typed(1, "x", nullptr, n_in, &dt);
  bool arg = op == static_cast<int>(oellm::ReduceOp::Argmax) || op == static_cast<int>(oellm::ReduceOp::Argmin);
  DType odt = arg ? DType::I32 : dt;
  void* out = a.typed(5, "out", &odt, n_out);
  if (r == 0 && op != static_cast<int>(oellm::ReduceOp::Sum)) a.fail("cannot reduce an empty axis");
  if (n_out > 0) oellm::reduce(static_cast<oellm::ReduceOp>(op), dt, x, outer, r, inner, out, pool());
  return a.info.Env().Undefined();
}

// matmul(a, b, out, batch, m, n, k, transA, transB, aBatchStride, bBatchStride)
OELLM_EXPORT(matmul) {
  int64_t batch = a.integer(3, "batch"), m = a.integer(4, "m"), n = a.integer(5, "n"), k = a.integer(6, "k");
  bool ta = a.boolean(7, "transA"), tb = a.boolean(8, "transB");
  int64_t sa = a.integer(9, "aBatchStride"), sb = a.integer(10, "bBatchStride");
  auto need = [&](int64_t stride, int64_t size) -> int64_t {
    if (batch == 0 || size == 0) return 0;
    return mul(a, batch - 1, stride) + size;
  };
  const float* A = a.f32(0, "a", need(sa, mul(a, m, k)));
  const float* B = a.f32(1, "b", need(sb, mul(a, k, n)));
  float* C = a.f32(2, "out", mul(a, batch, mul(a, m, n)));
  if (batch == 0 || m == 0 || n == 0) return a.info.Env().Undefined();
  oellm::sgemm_batched(batch, m, n, k, A, sa, ta ? m : k, ta, B, sb, tb ? k : n, tb, C, m * n, n, false, pool());
  return a.info.Env().Undefined();
}

// indexSelect(x, outer, size, inner, idx, count, out) -> bad position or -1
OELLM_EXPORT(indexSelect) {
  int64_t outer = a.integer(1, "outer"), size = a.integer(2, "size"), inner = a.integer(3, "inner");
  int64_t count = a.integer(5, "count");
  DType dt;
  const void* x = a.typed(0, "x", nullptr, mul(a, mul(a, outer, size), inner), &dt);
  const int32_t* idx = a.i32(4, "idx", count);
  void* out = a.typed(6, "out", &dt, mul(a, mul(a, outer, count), inner));
  return Napi::Number::New(a.info.Env(), static_cast<double>(oellm::index_select(dt, x, outer, size, inner, idx, count, out, pool())));
}

// indexAdd(src, outer, count, inner, idx, size, out) -> bad position or -1
OELLM_EXPORT(indexAdd) {
  int64_t outer = a.integer(1, "outer"), count = a.integer(2, "count"), inner = a.integer(3, "inner");
  int64_t size = a.integer(5, "size");
  const float* src = a.f32(0, "src", mul(a, mul(a, outer, count), inner));
  const int32_t* idx = a.i32(4, "idx", count);
  float* out = a.f32(6, "out", mul(a, mul(a, outer, size), inner));
  return Napi::Number::New(a.info.Env(), static_cast<double>(oellm::index_add(src, outer, count, inner, idx, size, out, pool())));
}

void check_gather_shapes(const Args& a, const std::vector<int64_t>& shape, const std::vector<int64_t>& ishape,
                         int64_t axis) {
  if (shape.empty() || ishape.size() != shape.size()) a.fail("index must have the input's rank");
  if (axis < 0 || axis >= static_cast<int64_t>(shape.size())) a.fail("axis out of range");
  for (size_t d = 0; d < shape.size(); d++) {
    if (static_cast<int64_t>(d) != axis && ishape[d] > shape[d]) a.fail("index is larger than the input outside the axis");
  }
}

// gather(x, shape, axis, idx, idxShape, out) -> bad position or -1
OELLM_EXPORT(gather) {
  auto shape = a.ints(1, "shape");
  int64_t axis = a.integer(2, "axis", 0, kMaxRank - 1);
  auto ishape = a.ints(4, "idxShape");
  check_gather_shapes(a, shape, ishape, axis);
  DType dt;
  const void* x = a.typed(0, "x", nullptr, product(a, shape, "x"), &dt);
  int64_t n = product(a, ishape, "idx");
  const int32_t* idx = a.i32(3, "idx", n);
  void* out = a.typed(5, "out", &dt, n);
  return Napi::Number::New(a.info.Env(), static_cast<double>(oellm::gather(dt, x, static_cast<int>(shape.size()), shape.data(),
                                                                    static_cast<int>(axis), idx, ishape.data(), out)));
}

// scatterAdd(src, idx, idxShape, axis, shape, out) -> bad position or -1
OELLM_EXPORT(scatterAdd) {
  auto ishape = a.ints(2, "idxShape");
  int64_t axis = a.integer(3, "axis", 0, kMaxRank - 1);
  auto shape = a.ints(4, "shape");
  check_gather_shapes(a, shape, ishape, axis);
  int64_t n = product(a, ishape, "idx");
  const float* src = a.f32(0, "src", n);
  const int32_t* idx = a.i32(1, "idx", n);
  float* out = a.f32(5, "out", product(a, shape, "out"));
  return Napi::Number::New(a.info.Env(), static_cast<double>(oellm::scatter_add(src, idx, static_cast<int>(shape.size()),
                                                                         ishape.data(), static_cast<int>(axis), shape.data(), out)));
}

// softmax(x, rows, cols, out) / logSoftmax(...)
OELLM_EXPORT(softmax) {
  int64_t rows = a.integer(1, "rows"), cols = a.integer(2, "cols"), n = mul(a, rows, cols);
  oellm::softmax(a.f32(0, "x", n), rows, cols, a.f32(3, "out", n), pool());
  return a.info.Env().Undefined();
}
OELLM_EXPORT(logSoftmax) {
  int64_t rows = a.integer(1, "rows"), cols = a.integer(2, "cols"), n = mul(a, rows, cols);
  oellm::log_softmax(a.f32(0, "x", n), rows, cols, a.f32(3, "out", n), pool());
  return a.info.Env().Undefined();
}

// gelu(x, n, tanh, out); geluBackward(x, g, n, tanh, dx)
OELLM_EXPORT(gelu) {
  int64_t n = a.integer(1, "n");
  oellm::gelu(a.f32(0, "x", n), n, a.boolean(2, "tanh"), a.f32(3, "out", n), pool());
  return a.info.Env().Undefined();
}
OELLM_EXPORT(geluBackward) {
  int64_t n = a.integer(2, "n");
  oellm::gelu_backward(a.f32(0, "x", n), a.f32(1, "g", n), n, a.boolean(3, "tanh"), a.f32(4, "dx", n), pool());
  return a.info.Env().Undefined();
}
OELLM_EXPORT(silu) {
  int64_t n = a.integer(1, "n");
  oellm::silu(a.f32(0, "x", n), n, a.f32(2, "out", n), pool());
  return a.info.Env().Undefined();
}
OELLM_EXPORT(siluBackward) {
  int64_t n = a.integer(2, "n");
  oellm::silu_backward(a.f32(0, "x", n), a.f32(1, "g", n), n, a.f32(3, "dx", n), pool());
  return a.info.Env().Undefined();
}

// layerNorm(x, w|null, b|null, rows, cols, eps, y, mean, rstd)
OELLM_EXPORT(layerNorm) {
  int64_t rows = a.integer(3, "rows"), cols = a.integer(4, "cols"), n = mul(a, rows, cols);
  oellm::layer_norm(a.f32(0, "x", n), a.f32_or_null(1, "weight", cols), a.f32_or_null(2, "bias", cols), rows, cols,
                    static_cast<float>(a.number(5, "eps")), a.f32(6, "y", n), a.f32(7, "mean", rows),
                    a.f32(8, "rstd", rows), pool());
  return a.info.Env().Undefined();
}
// layerNormBackward(x, w|null, mean, rstd, g, rows, cols, dx, dw|null, db|null)
OELLM_EXPORT(layerNormBackward) {
  int64_t rows = a.integer(5, "rows"), cols = a.integer(6, "cols"), n = mul(a, rows, cols);
  oellm::layer_norm_backward(a.f32(0, "x", n), a.f32_or_null(1, "weight", cols), a.f32(2, "mean", rows),
                             a.f32(3, "rstd", rows), a.f32(4, "g", n), rows, cols, a.f32(7, "dx", n),
                             a.f32_or_null(8, "dw", cols), a.f32_or_null(9, "db", cols), pool());
  return a.info.Env().Undefined();
}
// rmsNorm(x, w|null, rows, cols, eps, y, rstd)
OELLM_EXPORT(rmsNorm) {
  int64_t rows = a.integer(2, "rows"), cols = a.integer(3, "cols"), n = mul(a, rows, cols);
  oellm::rms_norm(a.f32(0, "x", n), a.f32_or_null(1, "weight", cols), rows, cols,
                  static_cast<float>(a.number(4, "eps")), a.f32(5, "y", n), a.f32(6, "rstd", rows), pool());
  return a.info.Env().Undefined();
}
// rmsNormBackward(x, w|null, rstd, g, rows, cols, dx, dw|null)
OELLM_EXPORT(rmsNormBackward) {
  int64_t rows = a.integer(4, "rows"), cols = a.integer(5, "cols"), n = mul(a, rows, cols);
  oellm::rms_norm_backward(a.f32(0, "x", n), a.f32_or_null(1, "weight", cols), a.f32(2, "rstd", rows),
                           a.f32(3, "g", n), rows, cols, a.f32(6, "dx", n), a.f32_or_null(7, "dw", cols), pool());
  return a.info.Env().Undefined();
}

// crossEntropy(logits, targets, rows, cols, ignore, loss, lse) -> bad row or -1
OELLM_EXPORT(crossEntropy) {
  int64_t rows = a.integer(2, "rows"), cols = a.integer(3, "cols"), n = mul(a, rows, cols);
  int32_t ignore = static_cast<int32_t>(a.integer(4, "ignore", INT32_MIN, INT32_MAX));
  int64_t bad = oellm::cross_entropy(a.f32(0, "logits", n), a.i32(1, "targets", rows), rows, cols, ignore,
                                     a.f32(5, "loss", rows), a.f32(6, "lse", rows), pool());
  return Napi::Number::New(a.info.Env(), static_cast<double>(bad));
}
// crossEntropyBackward(logits, targets, lse, g, rows, cols, ignore, dlogits)
OELLM_EXPORT(crossEntropyBackward) {
  int64_t rows = a.integer(4, "rows"), cols = a.integer(5, "cols"), n = mul(a, rows, cols);
  int32_t ignore = static_cast<int32_t>(a.integer(6, "ignore", INT32_MIN, INT32_MAX));
  const int32_t* t = a.i32(1, "targets", rows);
  for (int64_t r = 0; r < rows; r++) {
    if (t[r] != ignore && (t[r] < 0 || t[r] >= cols)) a.fail("target out of range");
  }
  oellm::cross_entropy_backward(a.f32(0, "logits", n), t, a.f32(2, "lse", rows), a.f32(3, "g", rows), rows, cols,
                                ignore, a.f32(7, "dlogits", n), pool());
  return a.info.Env().Undefined();
}

// attention(q, k, v, bh, T, S, d, dv, scale, causal, out, lse)
OELLM_EXPORT(attention) {
  int64_t bh = a.integer(3, "bh"), T = a.integer(4, "T"), S = a.integer(5, "S"), d = a.integer(6, "d"),
          dv = a.integer(7, "dv");
  oellm::attention(a.f32(0, "q", mul(a, mul(a, bh, T), d)), a.f32(1, "k", mul(a, mul(a, bh, S), d)),
                   a.f32(2, "v", mul(a, mul(a, bh, S), dv)), bh, T, S, d, dv, static_cast<float>(a.number(8, "scale")),
                   a.boolean(9, "causal"), a.f32(10, "out", mul(a, mul(a, bh, T), dv)), a.f32(11, "lse", mul(a, bh, T)),
                   pool());
  return a.info.Env().Undefined();
}
// attentionBackward(q, k, v, out, lse, g, bh, T, S, d, dv, scale, causal, dq, dk, dv)
OELLM_EXPORT(attentionBackward) {
  int64_t bh = a.integer(6, "bh"), T = a.integer(7, "T"), S = a.integer(8, "S"), d = a.integer(9, "d"),
          dv = a.integer(10, "dv");
  int64_t nq = mul(a, mul(a, bh, T), d), nk = mul(a, mul(a, bh, S), d), nv = mul(a, mul(a, bh, S), dv),
          no = mul(a, mul(a, bh, T), dv);
  oellm::attention_backward(a.f32(0, "q", nq), a.f32(1, "k", nk), a.f32(2, "v", nv), a.f32(3, "out", no),
                            a.f32(4, "lse", mul(a, bh, T)), a.f32(5, "g", no), bh, T, S, d, dv,
                            static_cast<float>(a.number(11, "scale")), a.boolean(12, "causal"), a.f32(13, "dq", nq),
                            a.f32(14, "dk", nk), a.f32(15, "dv", nv), pool());
  return a.info.Env().Undefined();
}

// adamw(p, g, m, v, n, lr, b1, b2, eps, wd, bc1, bc2): the float32 scalars of the kernel are
// derived here in double, as PyTorch derives them in Python
OELLM_EXPORT(adamw) {
  int64_t n = a.integer(4, "n");
  const double lr = a.number(5, "lr"), b1 = a.number(6, "beta1"), b2 = a.number(7, "beta2");
  const double eps = a.number(8, "eps"), wd = a.number(9, "weightDecay");
  const double bc1 = a.number(10, "bc1"), bc2 = a.number(11, "bc2");
  if (!(bc1 > 0) || !(bc2 > 0)) a.fail("bias corrections must be positive");
  oellm::AdamWScalars s{static_cast<float>(1.0 - lr * wd), static_cast<float>(b1), static_cast<float>(1.0 - b1),
                        static_cast<float>(b2), static_cast<float>(1.0 - b2), static_cast<float>(eps),
                        static_cast<float>(lr / bc1), static_cast<float>(std::sqrt(bc2))};
  oellm::adamw(a.f32(0, "param", n), a.f32(1, "grad", n), a.f32(2, "m", n), a.f32(3, "v", n), n, s, pool());
  return a.info.Env().Undefined();
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
#define OELLM_BIND(NAME) exports.Set(#NAME, Napi::Function::New(env, NAME, #NAME))
  OELLM_BIND(info);
  OELLM_BIND(setNumThreads);
  OELLM_BIND(copy);
  OELLM_BIND(unary);
  OELLM_BIND(binary);
  OELLM_BIND(where);
  OELLM_BIND(reduce);
  OELLM_BIND(matmul);
  OELLM_BIND(indexSelect);
  OELLM_BIND(indexAdd);
  OELLM_BIND(gather);
  OELLM_BIND(scatterAdd);
  OELLM_BIND(softmax);
  OELLM_BIND(logSoftmax);
  OELLM_BIND(gelu);
  OELLM_BIND(geluBackward);
  OELLM_BIND(silu);
  OELLM_BIND(siluBackward);
  OELLM_BIND(layerNorm);
  OELLM_BIND(layerNormBackward);
  OELLM_BIND(rmsNorm);
  OELLM_BIND(rmsNormBackward);
  OELLM_BIND(crossEntropy);
  OELLM_BIND(crossEntropyBackward);
  OELLM_BIND(attention);
  OELLM_BIND(attentionBackward);
  OELLM_BIND(adamw);
#undef OELLM_BIND
  return exports;
}

}  // namespace

NODE_API_MODULE(oellm_tensor, Init)
