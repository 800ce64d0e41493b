// Fused kernels of the native backend: the composites training time is spent in.
// Plain C++17, no N-API; the binding has checked every length. All rows are [rows, cols]
// contiguous float32, normalised over cols. Row work is split across threads statically;
// cross-row sums (weight gradients) are combined in chunk order, so results repeat bit for bit
// for a given thread count.
#pragma once

#include <cstdint>

#include "thread_pool.h"

namespace oellm {

void softmax(const float* x, int64_t rows, int64_t cols, float* out, ThreadPool& pool);
void log_softmax(const float* x, int64_t rows, int64_t cols, float* out, ThreadPool& pool);

void gelu(const float* x, int64_t n, bool tanh_approx, float* out, ThreadPool& pool);
void gelu_backward(const float* x, const float* g, int64_t n, bool tanh_approx, float* dx, ThreadPool& pool);
void silu(const float* x, int64_t n, float* out, ThreadPool& pool);
void silu_backward(const float* x, const float* g, int64_t n, float* dx, ThreadPool& pool);

// weight / bias may be null.
void layer_norm(const float* x, const float* w, const float* b, int64_t rows, int64_t cols, float eps, float* y,
                float* mean, float* rstd, ThreadPool& pool);
// dw / db may be null (not wanted); w may be null (no affine).
void layer_norm_backward(const float* x, const float* w, const float* mean, const float* rstd, const float* g,
                         int64_t rows, int64_t cols, float* dx, float* dw, float* db, ThreadPool& pool);
void rms_norm(const float* x, const float* w, int64_t rows, int64_t cols, float eps, float* y, float* rstd,
              ThreadPool& pool);
void rms_norm_backward(const float* x, const float* w, const float* rstd, const float* g, int64_t rows,
                       int64_t cols, float* dx, float* dw, ThreadPool& pool);

// Per-row loss = logsumexp(row) - row[target] (0 where target == ignore). Returns the first
// row with a target out of [0, cols) that is not `ignore`, or -1.
int64_t cross_entropy(const float* logits, const int32_t* targets, int64_t rows, int64_t cols, int32_t ignore,
                      float* loss, float* lse, ThreadPool& pool);
// dlogits = (softmax(row) - onehot(target)) * g[row]; zero rows where target == ignore.
void cross_entropy_backward(const float* logits, const int32_t* targets, const float* lse, const float* g,
                            int64_t rows, int64_t cols, int32_t ignore, float* dlogits, ThreadPool& pool);

// Scaled dot-product attention for `bh` independent heads: q [bh, T, d], k [bh, S, d],
// v [bh, S, dv] -> out [bh, T, dv], lse [bh, T] (log-sum-exp of each scaled score row).
// Streams over keys with an online softmax: O(T*dv) memory per head, no T x S matrix.
void attention(const float* q, const float* k, const float* v, int64_t bh, int64_t T, int64_t S, int64_t d,
               int64_t dv, float scale, bool causal, float* out, float* lse, ThreadPool& pool);
void attention_backward(const float* q, const float* k, const float* v, const float* out, const float* lse,
                        const float* g, int64_t bh, int64_t T, int64_t S, int64_t d, int64_t dv, float scale,
                        bool causal, float* dq, float* dk, float* dvv, ThreadPool& pool);

// AdamW in place, as PyTorch's single-tensor AdamW: p *= decay; m = b1 m + (1-b1) g;
// v = b2 v + (1-b2) g^2; p -= step_size * m / (sqrt(v) / sqrt_bc2 + eps). The scalars are
// computed in double by the caller (1 - b in float32 would be off by 1e-5 for b = 0.999).
struct AdamWScalars {
  float decay;      // 1 - lr * weight_decay
  float b1, omb1;   // beta1, 1 - beta1
  float b2, omb2;   // beta2, 1 - beta2
  float eps;
  float step_size;  // lr / (1 - beta1^t)
  float sqrt_bc2;   // sqrt(1 - beta2^t)
};
void adamw(float* p, const float* g, float* m, float* v, int64_t n, const AdamWScalars& s, ThreadPool& pool);

}  // namespace oellm
