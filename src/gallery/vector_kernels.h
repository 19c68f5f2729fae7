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

// "avx512", "avx2" or "portable": the variant in use.
const char* KernelName();

// Portable versions, exposed for tests that compare the variants.
float DotPortable(const float* a, const float* b, std::size_t d);
float DotU8Portable(const float* weights, const std::uint8_t* code, std::size_t d);

}  // namespace facekit::gallery
