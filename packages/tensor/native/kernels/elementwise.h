// Elementwise, movement and indexing kernels of the native backend. Plain C++17, no N-API.
// Callers (the binding) have checked every buffer length against the shapes given.
#pragma once

#include <cstdint>

#include "thread_pool.h"

namespace oellm {

constexpr int kMaxRank = 16;

enum class DType : int { F32 = 0, I32 = 1 };

// A strided read or write of `rank` dims; element [i0..] at data[offset + sum(ik * strides[k])].
struct Strided {
  void* data;
  DType dtype;
  int64_t offset;
  int64_t strides[kMaxRank];
};

// Same order as UNARY_OPS / BINARY_OPS in src/backend.ts.
enum class UnaryOp : int { Neg, Exp, Log, Sqrt, Rsqrt, Abs, Sign, Tanh, Sigmoid, Erf, Sin, Cos, Reciprocal, Count };
enum class BinaryOp : int { Add, Sub, Mul, Div, Pow, Maximum, Minimum, Eq, Ne, Lt, Le, Gt, Ge, Count };
enum class ReduceOp : int { Sum, Max, Min, Argmax, Argmin, Count };

// dst[logical i] = src[logical i] over `shape` (both strided; casts when dtypes differ).
void strided_copy(int rank, const int64_t* shape, const Strided& src, const Strided& dst, ThreadPool& pool);

// out[i] = op(x[i]) for contiguous x, out of the same dtype.
void unary(UnaryOp op, DType dtype, const void* x, void* out, int64_t n, ThreadPool& pool);

// out (contiguous, shape `shape`) = op(a, b) with strided (broadcast) inputs of one dtype;
// out is float32 or int32 (comparisons give int32 0/1).
void binary(BinaryOp op, int rank, const int64_t* shape, const Strided& a, const Strided& b, void* out,
            DType out_dtype, ThreadPool& pool);

// out = cond != 0 ? a : b, all strided and broadcast to `shape`; a, b and out share a dtype.
void where(int rank, const int64_t* shape, const Strided& cond, const Strided& a, const Strided& b, void* out,
           ThreadPool& pool);

// Reduces the middle axis of contiguous x viewed as [outer, r, inner]. argmax/argmin write int32.
void reduce(ReduceOp op, DType dtype, const void* x, int64_t outer, int64_t r, int64_t inner, void* out,
            ThreadPool& pool);

// out[o, j, i] = x[o, idx[j], i]; returns the position of the first bad index or -1.
int64_t index_select(DType dtype, const void* x, int64_t outer, int64_t size, int64_t inner, const int32_t* idx,
                     int64_t count, void* out, ThreadPool& pool);
// out = zeros([outer, size, inner]); out[o, idx[j], i] += src[o, j, i]. Returns the bad position or -1.
int64_t index_add(const float* src, int64_t outer, int64_t count, int64_t inner, const int32_t* idx, int64_t size,
                  float* out, ThreadPool& pool);
// torch.gather along axis; idx has x's rank. Returns the bad position or -1.
int64_t gather(DType dtype, const void* x, int rank, const int64_t* shape, int axis, const int32_t* idx,
               const int64_t* idx_shape, void* out);
// out = zeros(shape); scatter-add of src along axis at idx. Returns the bad position or -1.
int64_t scatter_add(const float* src, const int32_t* idx, int rank, const int64_t* idx_shape, int axis,
                    const int64_t* shape, float* out);

}  // namespace oellm
