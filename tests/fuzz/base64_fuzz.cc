// Base64Decode (src/common/base64.cc) on arbitrary text: never crashes, and
// whatever it accepts encodes and decodes back to the same bytes; the
// input's own encoding decodes back to it.
#include <cstddef>
#include <cstdint>
#include <algorithm>
#include <span>

#include "common/base64.h"
#include "fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto decoded = facekit::Base64Decode(facekit::fuzz::AsText(data, size));
  if (decoded) {
    const auto again = facekit::Base64Decode(facekit::Base64Encode(*decoded));
    if (!again || *again != *decoded) facekit::fuzz::Fail();
  }
  const auto round = facekit::Base64Decode(facekit::Base64Encode(std::span<const std::uint8_t>(data, size)));
  if (!round || round->size() != size || !std::equal(round->begin(), round->end(), data)) facekit::fuzz::Fail();
  return 0;
}
