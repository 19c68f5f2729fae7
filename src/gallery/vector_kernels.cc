#include "gallery/vector_kernels.h"

// GCC 12's AVX-512 intrinsics start from _mm512_undefined_*(), which its own
// -Wuninitialized flags inside the header (a false positive).
// (Clang has no -Wmaybe-uninitialized: the fuzz build, tests/fuzz.)
#pragma GCC diagnostic ignored "-Wuninitialized"
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>

namespace facekit::gallery {

float DotPortable(const float* a, const float* b, std::size_t d) {
  float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  std::size_t i = 0;
  for (; i + 8 <= d; i += 8) {
    for (int k = 0; k < 8; ++k) acc[k] += a[i + k] * b[i + k];
  }
  float sum = 0;
  for (; i < d; ++i) sum += a[i] * b[i];
  for (float v : acc) sum += v;
  return sum;
}

float DotU8Portable(const float* weights, const std::uint8_t* code, std::size_t d) {
  float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  std::size_t i = 0;
  for (; i + 8 <= d; i += 8) {
    for (int k = 0; k < 8; ++k) acc[k] += weights[i + k] * static_cast<float>(code[i + k]);
  }
  float sum = 0;
  for (; i < d; ++i) sum += weights[i] * static_cast<float>(code[i]);
  for (float v : acc) sum += v;
  return sum;
}

namespace {

__attribute__((target("avx2,fma"))) float HorizontalSum256(__m256 v) {
  __m128 lo = _mm256_castps256_ps128(v);
  __m128 hi = _mm256_extractf128_ps(v, 1);
  lo = _mm_add_ps(lo, hi);
  lo = _mm_hadd_ps(lo, lo);
  lo = _mm_hadd_ps(lo, lo);
  return _mm_cvtss_f32(lo);
}

__attribute__((target("avx2,fma"))) float DotAvx2(const float* a, const float* b, std::size_t d) {
  __m256 acc0 = _mm256_setzero_ps();
  __m256 acc1 = _mm256_setzero_ps();
  std::size_t i = 0;
  for (; i + 16 <= d; i += 16) {
    acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), acc0);
    acc1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), acc1);
  }
  for (; i + 8 <= d; i += 8) {
    acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), acc0);
  }
  float sum = HorizontalSum256(_mm256_add_ps(acc0, acc1));
  for (; i < d; ++i) sum += a[i] * b[i];
  return sum;
}

// Sum of the 16 lanes in a shuffle tree (a store and 16 dependent scalar adds
// took longer than the products of a 192-D row).
__attribute__((target("avx512f"))) inline float HorizontalSum512(__m512 v) {
  const __m256 lo = _mm512_castps512_ps256(v);
  const __m256 hi = _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1));
  __m128 x = _mm_add_ps(_mm256_castps256_ps128(_mm256_add_ps(lo, hi)), _mm256_extractf128_ps(_mm256_add_ps(lo, hi), 1));
  x = _mm_add_ps(x, _mm_movehl_ps(x, x));
  x = _mm_add_ss(x, _mm_shuffle_ps(x, x, 1));
  return _mm_cvtss_f32(x);
}

__attribute__((target("avx512f"))) float DotAvx512(const float* a, const float* b, std::size_t d) {
  __m512 acc0 = _mm512_setzero_ps();
  __m512 acc1 = _mm512_setzero_ps();
  std::size_t i = 0;
  for (; i + 32 <= d; i += 32) {
    acc0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i), acc0);
    acc1 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i + 16), _mm512_loadu_ps(b + i + 16), acc1);
  }
  for (; i + 16 <= d; i += 16) {
    acc0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i), acc0);
  }
  float sum = HorizontalSum512(_mm512_add_ps(acc0, acc1));
  for (; i < d; ++i) sum += a[i] * b[i];
  return sum;
}

__attribute__((target("avx2,fma"))) float DotU8Avx2(const float* w, const std::uint8_t* code, std::size_t d) {
  __m256 acc = _mm256_setzero_ps();
  std::size_t i = 0;
  for (; i + 8 <= d; i += 8) {
    const __m128i bytes = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(code + i));
    acc = _mm256_fmadd_ps(_mm256_loadu_ps(w + i), _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(bytes)), acc);
  }
  float sum = HorizontalSum256(acc);
  for (; i < d; ++i) sum += w[i] * static_cast<float>(code[i]);
  return sum;
}

__attribute__((target("avx512f"))) float DotU8Avx512(const float* w, const std::uint8_t* code, std::size_t d) {
  __m512 acc0 = _mm512_setzero_ps();
  __m512 acc1 = _mm512_setzero_ps();
  std::size_t i = 0;
  for (; i + 32 <= d; i += 32) {
    const __m128i b0 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(code + i));
    const __m128i b1 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(code + i + 16));
    acc0 = _mm512_fmadd_ps(_mm512_loadu_ps(w + i), _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(b0)), acc0);
    acc1 = _mm512_fmadd_ps(_mm512_loadu_ps(w + i + 16), _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(b1)), acc1);
  }
  for (; i + 16 <= d; i += 16) {
    const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(code + i));
    acc0 = _mm512_fmadd_ps(_mm512_loadu_ps(w + i), _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(bytes)), acc0);
  }
  float sum = HorizontalSum512(_mm512_add_ps(acc0, acc1));
  for (; i < d; ++i) sum += w[i] * static_cast<float>(code[i]);
  return sum;
}

using DotFn = float (*)(const float*, const float*, std::size_t);
using DotU8Fn = float (*)(const float*, const std::uint8_t*, std::size_t);

struct Kernel {
  DotFn dot;
  DotU8Fn dot_u8;
  const char* name;
};

Kernel Select() {
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f")) return {&DotAvx512, &DotU8Avx512, "avx512"};
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return {&DotAvx2, &DotU8Avx2, "avx2"};
  return {&DotPortable, &DotU8Portable, "portable"};
}

const Kernel& Active() {
  static const Kernel kernel = Select();
  return kernel;
}

}  // namespace

float Dot(const float* a, const float* b, std::size_t d) { return Active().dot(a, b, d); }

void DotMany(const float* q, const float* base, std::size_t n, std::size_t d, float* out) {
  const DotFn dot = Active().dot;
  for (std::size_t i = 0; i < n; ++i) out[i] = dot(q, base + i * d, d);
}

void DotU8Many(const float* weights, const std::uint8_t* codes, std::size_t n, std::size_t d, float* out) {
  const DotU8Fn dot = Active().dot_u8;
  for (std::size_t i = 0; i < n; ++i) {
    if (i + 2 < n) _mm_prefetch(reinterpret_cast<const char*>(codes + (i + 2) * d), _MM_HINT_T0);
    out[i] = dot(weights, codes + i * d, d);
  }
}

float DotU8(const float* weights, const std::uint8_t* code, std::size_t d) {
  return Active().dot_u8(weights, code, d);
}

const char* KernelName() { return Active().name; }

}  // namespace facekit::gallery
