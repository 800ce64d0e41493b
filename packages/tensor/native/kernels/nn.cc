#include "nn.h"

#include "vmath.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

namespace oellm {

namespace {

constexpr int64_t kGrain = 1 << 14;

inline int64_t rows_grain(int64_t cols) { return std::max<int64_t>(1, kGrain / std::max<int64_t>(1, cols)); }

OELLM_SIMD float row_max(const float* r, int64_t cols) {
  float m = -std::numeric_limits<float>::infinity();
  for (int64_t j = 0; j < cols; j++) m = r[j] > m ? r[j] : m;
  return std::isinf(m) && m < 0 ? 0.0f : m;
}

// o[j] = exp(x[j] - m); returns the sum (in 8 fixed lanes).
OELLM_SIMD float exp_shift(const float* x, float* o, int64_t n, float m) {
  for (int64_t j = 0; j < n; j++) o[j] = vexp(x[j] - m);
  return vsum(o, n);
}

// sum of exp(x[j] - m) without storing (uses a small stack buffer).
OELLM_SIMD float sum_exp(const float* x, int64_t n, float m) {
  float buf[256];
  float s = 0;
  for (int64_t j0 = 0; j0 < n; j0 += 256) {
    const int64_t len = std::min<int64_t>(256, n - j0);
    for (int64_t j = 0; j < len; j++) buf[j] = vexp(x[j0 + j] - m);
    s += vsum(buf, len);
  }
  return s;
}

OELLM_SIMD void scale_inplace(float* o, int64_t n, float c) {
  for (int64_t j = 0; j < n; j++) o[j] *= c;
}

OELLM_SIMD void sub_const(const float* x, float* o, int64_t n, float c) {
  for (int64_t j = 0; j < n; j++) o[j] = x[j] - c;
}

// d[j] = exp(x[j] - l) * g
OELLM_SIMD void exp_shift_scale(const float* x, float* d, int64_t n, float l, float g) {
  for (int64_t j = 0; j < n; j++) d[j] = vexp(x[j] - l) * g;
}

OELLM_SIMD void gelu_tanh_fwd(const float* x, float* out, int64_t n) {
  for (int64_t i = 0; i < n; i++) {
    const float v = x[i];
    out[i] = 0.5f * v * (1.0f + vtanh(0.7978845608028654f * (v + 0.044715f * v * v * v)));
  }
}

OELLM_SIMD void gelu_tanh_bwd(const float* x, const float* g, float* dx, int64_t n) {
  const float c = 0.7978845608028654f;
  for (int64_t i = 0; i < n; i++) {
    const float v = x[i];
    const float t = vtanh(c * (v + 0.044715f * v * v * v));
    const float d = 0.5f * (1.0f + t) + 0.5f * v * (1.0f - t * t) * c * (1.0f + 3.0f * 0.044715f * v * v);
    dx[i] = g[i] * d;
  }
}

OELLM_SIMD void silu_fwd(const float* x, float* out, int64_t n) {
  for (int64_t i = 0; i < n; i++) out[i] = x[i] * vsigmoid(x[i]);
}

OELLM_SIMD void silu_bwd(const float* x, const float* g, float* dx, int64_t n) {
  for (int64_t i = 0; i < n; i++) {
    const float s = vsigmoid(x[i]);
    dx[i] = g[i] * s * (1.0f + x[i] * (1.0f - s));
  }
}

// PyTorch's single-tensor AdamW, operation for operation: decay first, then the moments, then
// p += -step_size * m / (sqrt(v) / sqrt(bc2) + eps); the scalars arrive precomputed in double
OELLM_SIMD void adamw_range(float* p, const float* g, float* m, float* v, int64_t n, float decay, float b1,
                            float omb1, float b2, float omb2, float eps, float step_size, float sqrt_bc2) {
  for (int64_t i = 0; i < n; i++) {
    const float gi = g[i];
    const float pi = p[i] * decay;
    const float mi = b1 * m[i] + omb1 * gi;
    const float vi = b2 * v[i] + omb2 * (gi * gi);
    m[i] = mi;
    v[i] = vi;
    p[i] = pi - step_size * (mi / (std::sqrt(vi) / sqrt_bc2 + eps));
  }
}

constexpr float kGeluC = 0.7978845608028654f;  // sqrt(2/pi)
constexpr float kInvSqrt2 = 0.7071067811865476f;
constexpr float kInvSqrt2Pi = 0.3989422804014327f;

}  // namespace

void softmax(const float* x, int64_t rows, int64_t cols, float* out, ThreadPool& pool) {
  pool.parallel_for(
      rows,
      [&](int64_t b, int64_t e, int) {
        for (int64_t r = b; r < e; r++) {
          const float* xr = x + r * cols;
          float* o = out + r * cols;
          const float m = row_max(xr, cols);
          const float s = exp_shift(xr, o, cols, m);
          scale_inplace(o, cols, 1.0f / s);
        }
      },
      rows_grain(cols));
}

void log_softmax(const float* x, int64_t rows, int64_t cols, float* out, ThreadPool& pool) {
  pool.parallel_for(
      rows,
      [&](int64_t b, int64_t e, int) {
        for (int64_t r = b; r < e; r++) {
          const float* xr = x + r * cols;
          float* o = out + r * cols;
          const float m = row_max(xr, cols);
          sub_const(xr, o, cols, m + std::log(sum_exp(xr, cols, m)));
        }
      },
      rows_grain(cols));
}

void gelu(const float* x, int64_t n, bool tanh_approx, float* out, ThreadPool& pool) {
  pool.parallel_for(
      n,
      [&](int64_t b, int64_t e, int) {
        if (tanh_approx) {
          gelu_tanh_fwd(x + b, out + b, e - b);
        } else {
          for (int64_t i = b; i < e; i++) out[i] = 0.5f * x[i] * (1.0f + std::erf(x[i] * kInvSqrt2));
        }
      },
      kGrain);
}

void gelu_backward(const float* x, const float* g, int64_t n, bool tanh_approx, float* dx, ThreadPool& pool) {
  pool.parallel_for(
      n,
      [&](int64_t b, int64_t e, int) {
        if (tanh_approx) {
          gelu_tanh_bwd(x + b, g + b, dx + b, e - b);
        } else {
          for (int64_t i = b; i < e; i++) {
            const float v = x[i];
            const float cdf = 0.5f * (1.0f + std::erf(v * kInvSqrt2));
            const float pdf = std::exp(-0.5f * v * v) * kInvSqrt2Pi;
            dx[i] = g[i] * (cdf + v * pdf);
          }
        }
      },
      kGrain);
}

void silu(const float* x, int64_t n, float* out, ThreadPool& pool) {
  pool.parallel_for(
      n,
      [&](int64_t b, int64_t e, int) { silu_fwd(x + b, out + b, e - b); },
      kGrain);
}

void silu_backward(const float* x, const float* g, int64_t n, float* dx, ThreadPool& pool) {
  pool.parallel_for(
      n,
      [&](int64_t b, int64_t e, int) { silu_bwd(x + b, g + b, dx + b, e - b); },
      kGrain);
}

void layer_norm(const float* x, const float* w, const float* bias, int64_t rows, int64_t cols, float eps, float* y,
                float* mean, float* rstd, ThreadPool& pool) {
  pool.parallel_for(
      rows,
      [&](int64_t b, int64_t e, int) {
        for (int64_t r = b; r < e; r++) {
          const float* xr = x + r * cols;
          double s = 0;
          for (int64_t j = 0; j < cols; j++) s += xr[j];
          const double mu = s / cols;
          double var = 0;
          for (int64_t j = 0; j < cols; j++) var += (xr[j] - mu) * (xr[j] - mu);
          const float rs = static_cast<float>(1.0 / std::sqrt(var / cols + eps));
          const float muf = static_cast<float>(mu);
          mean[r] = muf;
          rstd[r] = rs;
          float* yr = y + r * cols;
          for (int64_t j = 0; j < cols; j++) {
            float h = (xr[j] - muf) * rs;
            if (w) h *= w[j];
            if (bias) h += bias[j];
            yr[j] = h;
          }
        }
      },
      rows_grain(cols));
}

namespace {
// Per-chunk partial sums for weight/bias gradients, combined in chunk order.
struct Partials {
  std::vector<double> data;
  int chunks;
  int64_t cols;
  Partials(int c, int64_t n, int per) : data(static_cast<size_t>(c) * n * per, 0.0), chunks(c), cols(n) {}
  double* at(int chunk, int which) { return data.data() + (static_cast<size_t>(chunk) * 2 + which) * cols; }
};
}  // namespace

void layer_norm_backward(const float* x, const float* w, const float* mean, const float* rstd, const float* g,
                         int64_t rows, int64_t cols, float* dx, float* dw, float* db, ThreadPool& pool) {
  const int64_t grain = rows_grain(cols);
  const int chunks = std::max(1, pool.chunks_for(rows, grain));
  Partials part(chunks, cols, 2);
  pool.parallel_for(
      rows,
      [&](int64_t b, int64_t e, int chunk) {
        double* pw = part.at(chunk, 0);
        double* pb = part.at(chunk, 1);
        for (int64_t r = b; r < e; r++) {
          const float* xr = x + r * cols;
          const float* gr = g + r * cols;
          const float mu = mean[r], rs = rstd[r];
          double m1 = 0, m2 = 0;
          for (int64_t j = 0; j < cols; j++) {
            const float xh = (xr[j] - mu) * rs;
            const float gx = w ? gr[j] * w[j] : gr[j];
            m1 += gx;
            m2 += gx * xh;
            if (dw) pw[j] += gr[j] * xh;
            if (db) pb[j] += gr[j];
          }
          const float a = static_cast<float>(m1 / cols), c = static_cast<float>(m2 / cols);
          float* dr = dx + r * cols;
          for (int64_t j = 0; j < cols; j++) {
            const float xh = (xr[j] - mu) * rs;
            const float gx = w ? gr[j] * w[j] : gr[j];
            dr[j] = rs * (gx - a - xh * c);
          }
        }
      },
      grain);
  if (dw || db) {
    for (int64_t j = 0; j < cols; j++) {
      double sw = 0, sb = 0;
      for (int c = 0; c < chunks; c++) {
        sw += part.at(c, 0)[j];
        sb += part.at(c, 1)[j];
      }
      if (dw) dw[j] = static_cast<float>(sw);
      if (db) db[j] = static_cast<float>(sb);
    }
  }
}

void rms_norm(const float* x, const float* w, int64_t rows, int64_t cols, float eps, float* y, float* rstd,
              ThreadPool& pool) {
  pool.parallel_for(
      rows,
      [&](int64_t b, int64_t e, int) {
        for (int64_t r = b; r < e; r++) {
          const float* xr = x + r * cols;
          double s = 0;
          for (int64_t j = 0; j < cols; j++) s += static_cast<double>(xr[j]) * xr[j];
          const float rs = static_cast<float>(1.0 / std::sqrt(s / cols + eps));
          rstd[r] = rs;
          float* yr = y + r * cols;
          for (int64_t j = 0; j < cols; j++) yr[j] = w ? xr[j] * rs * w[j] : xr[j] * rs;
        }
      },
      rows_grain(cols));
}

void rms_norm_backward(const float* x, const float* w, const float* rstd, const float* g, int64_t rows,
                       int64_t cols, float* dx, float* dw, ThreadPool& pool) {
  const int64_t grain = rows_grain(cols);
  const int chunks = std::max(1, pool.chunks_for(rows, grain));
  Partials part(chunks, cols, 2);
  pool.parallel_for(
      rows,
      [&](int64_t b, int64_t e, int chunk) {
        double* pw = part.at(chunk, 0);
        for (int64_t r = b; r < e; r++) {
          const float* xr = x + r * cols;
          const float* gr = g + r * cols;
          const float rs = rstd[r];
          double m = 0;
          for (int64_t j = 0; j < cols; j++) {
            const float xh = xr[j] * rs;
            const float gx = w ? gr[j] * w[j] : gr[j];
            m += gx * xh;
            if (dw) pw[j] += gr[j] * xh;
          }
          const float c = static_cast<float>(m / cols);
          float* dr = dx + r * cols;
          for (int64_t j = 0; j < cols; j++) {
            const float xh = xr[j] * rs;
            const float gx = w ? gr[j] * w[j] : gr[j];
            dr[j] = rs * (gx - xh * c);
          }
        }
      },
      grain);
  if (dw) {
    for (int64_t j = 0; j < cols; j++) {
      double s = 0;
      for (int c = 0; c < chunks; c++) s += part.at(c, 0)[j];
      dw[j] = static_cast<float>(s);
    }
  }
}

int64_t cross_entropy(const float* logits, const int32_t* targets, int64_t rows, int64_t cols, int32_t ignore,
                      float* loss, float* lse, ThreadPool& pool) {
  for (int64_t r = 0; r < rows; r++) {
    const int32_t t = targets[r];
    if (t != ignore && (t < 0 || t >= cols)) return r;
  }
  pool.parallel_for(
      rows,
      [&](int64_t b, int64_t e, int) {
        for (int64_t r = b; r < e; r++) {
          const float* xr = logits + r * cols;
          const float m = row_max(xr, cols);
          const float l = m + std::log(sum_exp(xr, cols, m));
          lse[r] = l;
          const int32_t t = targets[r];
          loss[r] = t == ignore ? 0.0f : l - xr[t];
        }
      },
      rows_grain(cols));
  return -1;
}

void cross_entropy_backward(const float* logits, const int32_t* targets, const float* lse, const float* g,
                            int64_t rows, int64_t cols, int32_t ignore, float* dlogits, ThreadPool& pool) {
  pool.parallel_for(
      rows,
      [&](int64_t b, int64_t e, int) {
        for (int64_t r = b; r < e; r++) {
          float* d = dlogits + r * cols;
          const int32_t t = targets[r];
          if (t == ignore) {
            std::memset(d, 0, sizeof(float) * cols);
            continue;
          }
          const float* xr = logits + r * cols;
          const float gr = g[r];
          exp_shift_scale(xr, d, cols, lse[r], gr);
          d[t] -= gr;
        }
      },
      rows_grain(cols));
}

// One query row of streaming attention: scores against keys [0, last), softmax, weighted sum.
OELLM_SIMD void attention_row(const float* qi, const float* kh, const float* vh, int64_t last, int64_t d,
                              int64_t dv, float scale, float* scores, float* acc, float* o, float* lse_out) {
  float m = -std::numeric_limits<float>::infinity();
  for (int64_t j = 0; j < last; j++) {
    const float s = vdot(qi, kh + j * d, d) * scale;
    scores[j] = s;
    m = s > m ? s : m;
  }
  for (int64_t c = 0; c < dv; c++) acc[c] = 0.0f;
  float l = 0;
  for (int64_t j = 0; j < last; j++) {
    const float p = vexp(scores[j] - m);
    l += p;
    const float* vj = vh + j * dv;
    for (int64_t c = 0; c < dv; c++) acc[c] += p * vj[c];
  }
  const float inv = 1.0f / l;
  for (int64_t c = 0; c < dv; c++) o[c] = acc[c] * inv;
  *lse_out = m + std::log(l);
}

void attention(const float* q, const float* k, const float* v, int64_t bh, int64_t T, int64_t S, int64_t d,
               int64_t dv, float scale, bool causal, float* out, float* lse, ThreadPool& pool) {
  // one task per (head, query row); keys are streamed, so memory is O(S + dv) per thread
  pool.parallel_for(
      bh * T,
      [&](int64_t b, int64_t e, int) {
        std::vector<float> scores(static_cast<size_t>(std::max<int64_t>(S, 1)));
        std::vector<float> acc(static_cast<size_t>(std::max<int64_t>(dv, 1)));
        for (int64_t task = b; task < e; task++) {
          const int64_t h = task / T, i = task % T;
          const int64_t last = causal ? std::min<int64_t>(i + 1, S) : S;
          float* o = out + (h * T + i) * dv;
          if (last == 0) {
            // every key masked: NaN, as the composed definition gives
            for (int64_t c = 0; c < dv; c++) o[c] = std::numeric_limits<float>::quiet_NaN();
            lse[task] = std::numeric_limits<float>::quiet_NaN();
            continue;
          }
          attention_row(q + (h * T + i) * d, k + h * S * d, v + h * S * dv, last, d, dv, scale, scores.data(),
                        acc.data(), o, lse + task);
        }
      },
      std::max<int64_t>(1, 4096 / std::max<int64_t>(1, S * d)));
}

// One query row's contribution to dq (row i), dk and dv (rows j < last) of one head.
OELLM_SIMD void attention_row_backward(const float* qi, const float* kh, const float* vh, const float* gi, float D,
                                       float li, int64_t last, int64_t d, int64_t dv, float scale, float* dqi,
                                       float* dkh, float* dvh) {
  for (int64_t j = 0; j < last; j++) {
    const float* kj = kh + j * d;
    const float* vj = vh + j * dv;
    const float p = vexp(vdot(qi, kj, d) * scale - li);
    const float dp = vdot(gi, vj, dv);
    float* dvj = dvh + j * dv;
    for (int64_t c = 0; c < dv; c++) dvj[c] += p * gi[c];
    const float ds = p * (dp - D) * scale;
    float* dkj = dkh + j * d;
    for (int64_t c = 0; c < d; c++) {
      dqi[c] += ds * kj[c];
      dkj[c] += ds * qi[c];
    }
  }
}

void attention_backward(const float* q, const float* k, const float* v, const float* out, const float* lse,
                        const float* g, int64_t bh, int64_t T, int64_t S, int64_t d, int64_t dv, float scale,
                        bool causal, float* dq, float* dk, float* dvv, ThreadPool& pool) {
  // heads are independent: one thread owns a head's dq, dk, dv, so sums run in a fixed order
  pool.parallel_for(
      bh,
      [&](int64_t b, int64_t e, int) {
        for (int64_t h = b; h < e; h++) {
          const float* qh = q + h * T * d;
          const float* kh = k + h * S * d;
          const float* vh = v + h * S * dv;
          float* dqh = dq + h * T * d;
          float* dkh = dk + h * S * d;
          float* dvh = dvv + h * S * dv;
          std::memset(dqh, 0, sizeof(float) * T * d);
          std::memset(dkh, 0, sizeof(float) * S * d);
          std::memset(dvh, 0, sizeof(float) * S * dv);
          for (int64_t i = 0; i < T; i++) {
            const float* gi = g + (h * T + i) * dv;
            const float li = lse[h * T + i];
            if (std::isnan(li)) continue;
            const float D = vdot(gi, out + (h * T + i) * dv, dv);
            const int64_t last = causal ? std::min<int64_t>(i + 1, S) : S;
            attention_row_backward(qh + i * d, kh, vh, gi, D, li, last, d, dv, scale, dqh + i * d, dkh, dvh);
          }
        }
      },
      1);
}

void adamw(float* p, const float* g, float* m, float* v, int64_t n, const AdamWScalars& s, ThreadPool& pool) {
  pool.parallel_for(
      n,
      [&](int64_t b, int64_t e, int) {
        adamw_range(p + b, g + b, m + b, v + b, e - b, s.decay, s.b1, s.omb1, s.b2, s.omb2, s.eps, s.step_size,
                    s.sqrt_bc2);
      },
      kGrain);
}

}  // namespace oellm
