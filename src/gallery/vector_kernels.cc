#include "gallery/vector_kernels.h"

// GCC 12's AVX-512 intrinsics start from _mm512_undefined_*(), which its own
// -Wuninitialized flags inside the header (a false positive).
// (Clang has no -Wmaybe-uninitialized: the fuzz build, tests/fuzz.)
#pragma GCC diagnostic ignored "-Wuninitialized"
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <cpuid.h>
#include <immintrin.h>

#include <bit>

namespace facekit::gallery {

std::uint16_t HalfFromFloatPortable(float value) {
  const std::uint32_t f = std::bit_cast<std::uint32_t>(value);
  const std::uint16_t sign = static_cast<std::uint16_t>((f >> 16) & 0x8000u);
  const std::uint32_t abs = f & 0x7fffffffu;
  if (abs >= 0x7f800000u) return static_cast<std::uint16_t>(sign | (abs > 0x7f800000u ? 0x7e00u : 0x7c00u));
  if (abs >= 0x477ff000u) return static_cast<std::uint16_t>(sign | 0x7c00u);  // rounds past 65504
  if (abs < 0x38800000u) {
    // Subnormal half (or zero): value / 2^-24, rounded to nearest even.
    if (abs < 0x33000000u) return sign;  // below half the smallest subnormal
    const std::uint32_t mant = (abs & 0x7fffffu) | 0x800000u;
    const int shift = 126 - static_cast<int>(abs >> 23);  // 14..24
    std::uint32_t q = mant >> shift;
    const std::uint32_t rest = mant & ((1u << shift) - 1), half = 1u << (shift - 1);
    if (rest > half || (rest == half && (q & 1u))) ++q;
    return static_cast<std::uint16_t>(sign | q);
  }
  // Normal: rebias the exponent, round the mantissa's low 13 bits to nearest even
  // (a carry into the exponent is the right answer).
  std::uint32_t h = ((abs >> 13) - (112u << 10));
  const std::uint32_t rest = abs & 0x1fffu;
  if (rest > 0x1000u || (rest == 0x1000u && (h & 1u))) ++h;
  return static_cast<std::uint16_t>(sign | h);
}

float FloatFromHalfPortable(std::uint16_t half) {
  const std::uint32_t sign = static_cast<std::uint32_t>(half & 0x8000u) << 16;
  const std::uint32_t exp = (half >> 10) & 0x1fu, mant = half & 0x3ffu;
  std::uint32_t f;
  if (exp == 0x1f) {
    f = sign | 0x7f800000u | (mant << 13);
  } else if (exp != 0) {
    f = sign | ((exp + 112u) << 23) | (mant << 13);
  } else if (mant == 0) {
    f = sign;
  } else {
    // Subnormal half: normalise.
    std::uint32_t m = mant, e = 113;
    while (!(m & 0x400u)) {
      m <<= 1;
      --e;
    }
    f = sign | (e << 23) | ((m & 0x3ffu) << 13);
  }
  return std::bit_cast<float>(f);
}

float DotF16Portable(const float* q, const std::uint16_t* row, std::size_t d) {
  float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  std::size_t i = 0;
  for (; i + 8 <= d; i += 8) {
    for (int k = 0; k < 8; ++k) acc[k] += q[i + k] * FloatFromHalfPortable(row[i + k]);
  }
  float sum = 0;
  for (; i < d; ++i) sum += q[i] * FloatFromHalfPortable(row[i]);
  for (float v : acc) sum += v;
  return sum;
}

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

__attribute__((target("avx2,fma,f16c"))) float DotF16Avx2(const float* q, const std::uint16_t* row, std::size_t d) {
  __m256 acc0 = _mm256_setzero_ps();
  __m256 acc1 = _mm256_setzero_ps();
  std::size_t i = 0;
  for (; i + 16 <= d; i += 16) {
    const __m256 r0 = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(row + i)));
    const __m256 r1 = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(row + i + 8)));
    acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(q + i), r0, acc0);
    acc1 = _mm256_fmadd_ps(_mm256_loadu_ps(q + i + 8), r1, acc1);
  }
  for (; i + 8 <= d; i += 8) {
    const __m256 r0 = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(row + i)));
    acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(q + i), r0, acc0);
  }
  float sum = HorizontalSum256(_mm256_add_ps(acc0, acc1));
  for (; i < d; ++i) sum += q[i] * FloatFromHalfPortable(row[i]);
  return sum;
}

__attribute__((target("avx512f"))) float DotF16Avx512(const float* q, const std::uint16_t* row, std::size_t d) {
  __m512 acc0 = _mm512_setzero_ps();
  __m512 acc1 = _mm512_setzero_ps();
  std::size_t i = 0;
  for (; i + 32 <= d; i += 32) {
    const __m512 r0 = _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(row + i)));
    const __m512 r1 = _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(row + i + 16)));
    acc0 = _mm512_fmadd_ps(_mm512_loadu_ps(q + i), r0, acc0);
    acc1 = _mm512_fmadd_ps(_mm512_loadu_ps(q + i + 16), r1, acc1);
  }
  for (; i + 16 <= d; i += 16) {
    const __m512 r0 = _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(row + i)));
    acc0 = _mm512_fmadd_ps(_mm512_loadu_ps(q + i), r0, acc0);
  }
  float sum = HorizontalSum512(_mm512_add_ps(acc0, acc1));
  for (; i < d; ++i) sum += q[i] * FloatFromHalfPortable(row[i]);
  return sum;
}

__attribute__((target("avx2,f16c"))) void FloatsToHalvesF16c(const float* in, std::size_t n, std::uint16_t* out) {
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + i),
                     _mm256_cvtps_ph(_mm256_loadu_ps(in + i), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
  }
  for (; i < n; ++i) out[i] = HalfFromFloatPortable(in[i]);
}

__attribute__((target("avx2,f16c"))) void HalvesToFloatsF16c(const std::uint16_t* in, std::size_t n, float* out) {
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    _mm256_storeu_ps(out + i, _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(in + i))));
  }
  for (; i < n; ++i) out[i] = FloatFromHalfPortable(in[i]);
}

void FloatsToHalvesPortable(const float* in, std::size_t n, std::uint16_t* out) {
  for (std::size_t i = 0; i < n; ++i) out[i] = HalfFromFloatPortable(in[i]);
}

void HalvesToFloatsPortable(const std::uint16_t* in, std::size_t n, float* out) {
  for (std::size_t i = 0; i < n; ++i) out[i] = FloatFromHalfPortable(in[i]);
}

using DotFn = float (*)(const float*, const float*, std::size_t);
using DotU8Fn = float (*)(const float*, const std::uint8_t*, std::size_t);
using DotF16Fn = float (*)(const float*, const std::uint16_t*, std::size_t);
using ToHalvesFn = void (*)(const float*, std::size_t, std::uint16_t*);
using ToFloatsFn = void (*)(const std::uint16_t*, std::size_t, float*);

struct Kernel {
  DotFn dot;
  DotU8Fn dot_u8;
  DotF16Fn dot_f16;
  ToHalvesFn to_halves;
  ToFloatsFn to_floats;
  const char* name;
};

Kernel Select() {
  __builtin_cpu_init();
  // F16C comes with every AVX2 CPU made; checked all the same, from CPUID
  // leaf 1 (clang's __builtin_cpu_supports does not know "f16c").
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  const bool f16c = __builtin_cpu_supports("avx2") && __get_cpuid(1, &eax, &ebx, &ecx, &edx) != 0 && (ecx & bit_F16C) != 0;
  const ToHalvesFn to_halves = f16c ? &FloatsToHalvesF16c : &FloatsToHalvesPortable;
  const ToFloatsFn to_floats = f16c ? &HalvesToFloatsF16c : &HalvesToFloatsPortable;
  if (__builtin_cpu_supports("avx512f")) {
    return {&DotAvx512, &DotU8Avx512, &DotF16Avx512, to_halves, to_floats, "avx512"};
  }
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
    return {&DotAvx2, &DotU8Avx2, f16c ? &DotF16Avx2 : &DotF16Portable, to_halves, to_floats, "avx2"};
  }
  return {&DotPortable, &DotU8Portable, &DotF16Portable, to_halves, to_floats, "portable"};
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

float DotF16(const float* q, const std::uint16_t* row, std::size_t d) { return Active().dot_f16(q, row, d); }

void DotF16Many(const float* q, const std::uint16_t* base, std::size_t n, std::size_t d, float* out) {
  const DotF16Fn dot = Active().dot_f16;
  for (std::size_t i = 0; i < n; ++i) out[i] = dot(q, base + i * d, d);
}

void FloatsToHalves(const float* in, std::size_t n, std::uint16_t* out) { Active().to_halves(in, n, out); }

void HalvesToFloats(const std::uint16_t* in, std::size_t n, float* out) { Active().to_floats(in, n, out); }

const char* KernelName() { return Active().name; }

}  // namespace facekit::gallery
