// The image decoders (src/image): format sniffing, the header reader and
// DecodeImage with a small pixel budget, on arbitrary bytes. A decoded image
// must be a consistent raster within the pixel budget.
#include <cstddef>
#include <cstdint>
#include <algorithm>
#include <span>

#include "facekit/image.h"
#include "fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> bytes(data, size);
  (void)facekit::SniffImageFormat(bytes);
  const auto header = facekit::ReadImageHeader(bytes);
  facekit::ImageLimits limits;
  limits.min_short_side = 1;
  limits.max_pixels = 4'000'000;  // keeps each run's memory small; the budget check is what is tested
  limits.working_long_side = 512;
  if (header.ok()) (void)facekit::CheckImageSize(header.value(), limits);
  const auto image = facekit::DecodeImage(bytes, limits);
  if (image.ok()) {
    const facekit::Image& im = image.value();
    if (im.empty() || im.bgr.size() != static_cast<std::size_t>(im.width) * static_cast<std::size_t>(im.height) * 3) {
      facekit::fuzz::Fail();
    }
    // The pixel budget holds for what was decoded, not only for the header
    // (a JPEG may stay above the working size: libjpeg scales by 1/2, 1/4, 1/8).
    if (static_cast<std::int64_t>(im.width) * im.height > limits.max_pixels) facekit::fuzz::Fail();
  }
  return 0;
}
