// Single-precision GEMM for the native backend. Plain C++17, no N-API.
#pragma once

#include <cstdint>
#include <string>

#include "thread_pool.h"

namespace oellm {

// C[M x N] = op(A) @ op(B), or C += op(A) @ op(B) when `accumulate`.
// Row-major storage with leading dimensions (row strides) lda, ldb, ldc:
//   transA == false: A is M x K, element (i, p) at A[i*lda + p]
//   transA == true:  A is stored K x M, element (i, p) of op(A) at A[p*lda + i]
//   transB == false: B is K x N, element (p, j) at B[p*ldb + j]
//   transB == true:  B is stored N x K, element (p, j) of op(B) at B[j*ldb + p]
// Transposes are handled while packing (no extra copy). Uses the pool's threads.
// Deterministic: the result does not depend on timing, only on the thread count.
void sgemm(int64_t M, int64_t N, int64_t K, const float* A, int64_t lda, bool transA, const float* B,
           int64_t ldb, bool transB, float* C, int64_t ldc, bool accumulate, ThreadPool& pool);

// `batch` independent products; matrix t uses A + t*strideA, B + t*strideB, C + t*strideC
// (a stride of 0 broadcasts one matrix). Parallelises across batches or within each product,
// whichever keeps the threads busier.
void sgemm_batched(int64_t batch, int64_t M, int64_t N, int64_t K, const float* A, int64_t strideA, int64_t lda,
                   bool transA, const float* B, int64_t strideB, int64_t ldb, bool transB, float* C,
                   int64_t strideC, int64_t ldc, bool accumulate, ThreadPool& pool);

// Which micro-kernel runs on this CPU: "avx2-fma" or "portable". Chosen once at run time;
// OELLM_GEMM_KERNEL=portable forces the portable one.
const std::string& gemm_kernel_name();

}  // namespace oellm
