// Inner-product kernels for the gallery's vector search.
//
// Debian's libfaiss is built for baseline x86-64, so its own distance loops
// run without AVX. These kernels pick AVX-512, AVX2+FMA or portable code once
// at start-up from what the CPU reports; results agree with the portable
// version to float rounding (summation order differs).
#pragma once

#include <cstddef>
#include <cstdint>

namespace facekit::gallery {

// <a, b> over d floats.
float Dot(const float* a, const float* b, std::size_t d);

// out[i] = <q, base + i * d> for i in [0, n).
void DotMany(const float* q, const float* base, std::size_t n, std::size_t d, float* out);

// out[i] = sum_j weights[j] * codes[i * d + j]: the scaled inner product of a
// query with 8-bit scalar-quantised rows.
void DotU8Many(const float* weights, const std::uint8_t* codes, std::size_t n, std::size_t d, float* out);
// The same for one row.
float DotU8(const float* weights, const std::uint8_t* code, std::size_t d);

// IEEE binary16 ("fp16") rows (IndexOptions::rows == RowFormat::kF16):
// conversions (round to nearest even; values beyond the half range become
// infinities, which an index never stores: its vectors are unit length) and
// inner products of a float query with half rows.
void FloatsToHalves(const float* in, std::size_t n, std::uint16_t* out);
void HalvesToFloats(const std::uint16_t* in, std::size_t n, float* out);
float DotF16(const float* q, const std::uint16_t* row, std::size_t d);
void DotF16Many(const float* q, const std::uint16_t* base, std::size_t n, std::size_t d, float* out);

// "avx512", "avx2" or "portable": the variant in use.
const char* KernelName();

// Portable versions, exposed for tests that compare the variants.
float DotPortable(const float* a, const float* b, std::size_t d);
float DotU8Portable(const float* weights, const std::uint8_t* code, std::size_t d);
float DotF16Portable(const float* q, const std::uint16_t* row, std::size_t d);
std::uint16_t HalfFromFloatPortable(float value);
float FloatFromHalfPortable(std::uint16_t half);

}  // namespace facekit::gallery
