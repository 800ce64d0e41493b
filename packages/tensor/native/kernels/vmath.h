// Vectorisable float math for the fused kernels: exp, tanh and sigmoid written with plain
// arithmetic and bit casts only, so loops that call them auto-vectorise (libm's expf does
// not). OELLM_SIMD compiles a function twice, for AVX2+FMA and for the baseline, and picks one
// at load time (GCC function multi-versioning, x86-64 Linux); elsewhere it is a no-op.
#pragma once

#include <cstdint>
#include <cstring>

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && defined(__linux__)
#define OELLM_SIMD __attribute__((target_clones("arch=haswell", "default")))
#else
#define OELLM_SIMD
#endif

#if defined(__GNUC__)
#define OELLM_INLINE inline __attribute__((always_inline))
#else
#define OELLM_INLINE inline
#endif

namespace oellm {

// exp(x) to about 1 ulp on [-87.3, 88.7]: n = round(x / ln 2), r = x - n ln 2 (two-part
// Cody-Waite constant), exp(r) by a degree-6 minimax polynomial (the classic Cephes expf
// coefficients), times 2^n built in the exponent bits. Below -87.3 gives 0, NaN stays NaN.
OELLM_INLINE float vexp(float x) {
  float xc = x > 88.7f ? 88.7f : x;
  xc = xc < -87.3f ? -87.3f : xc;
  // round to nearest by adding and subtracting 1.5 * 2^23 (exact for |v| < 2^22)
  const float n = (xc * 1.44269504088896341f + 12582912.0f) - 12582912.0f;
  float r = xc - n * 0.693359375f;
  r = r + n * 2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  const int32_t bits = (static_cast<int32_t>(n) + 127) << 23;
  float scale;
  std::memcpy(&scale, &bits, sizeof(scale));
  float y = p * scale;
  y = x < -87.3f ? 0.0f : y;
  return x != x ? x : y;
}

// tanh(x): (1 - e) / (1 + e) with e = exp(-2|x|), odd-symmetric; below |x| = 0.25, where
// 1 - e would cancel, its Taylor series to x^9 (error < 1e-7 relative there).
OELLM_INLINE float vtanh(float x) {
  const float ax = x < 0 ? -x : x;
  const float e = vexp(-2.0f * ax);  // in (0, 1]
  const float t = (1.0f - e) / (1.0f + e);
  const float x2 = x * x;
  const float series = x * (1.0f + x2 * (-0.333333333f + x2 * (0.133333333f + x2 * (-0.053968254f + x2 * 0.021869488f))));
  const float big = x < 0 ? -t : t;
  return ax < 0.25f ? series : big;
}

// Sum of n floats in 8 interleaved partial sums (vectorisable without reassociating; the
// lanes are added in a fixed order, so the result does not depend on the ISA chosen).
OELLM_INLINE float vsum(const float* x, int64_t n) {
  float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    for (int l = 0; l < 8; l++) acc[l] += x[i + l];
  }
  for (int l = 0; i < n; i++, l++) acc[l] += x[i];
  return ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
}

OELLM_INLINE float vsigmoid(float x) { return 1.0f / (1.0f + vexp(-x)); }

// Dot product in 8 interleaved lanes (vectorisable, fixed summation order).
OELLM_INLINE float vdot(const float* a, const float* b, int64_t n) {
  float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    for (int l = 0; l < 8; l++) acc[l] += a[i + l] * b[i + l];
  }
  for (int l = 0; i < n; i++, l++) acc[l] += a[i] * b[i];
  return ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
}

}  // namespace oellm
