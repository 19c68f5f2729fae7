// Small operations on decoded images: a scaled crop and in-memory JPEG
// encoding (the gallery's stored face crops, docs/gallery.md#face-model-versions).
#pragma once

#include <cstdint>
#include <vector>

#include "facekit/image.h"

namespace facekit {

/// The region (x, y, width, height) of `image`, clipped to it, scaled by
/// `scale` (area interpolation when shrinking). kInvalidArgument when the
/// clipped region is empty or scale <= 0.
Result<Image> CropScaled(const Image& image, int x, int y, int width, int height, double scale);

/// Encodes `image` as a JPEG of `quality` (1-100) in memory.
Result<std::vector<uint8_t>> EncodeJpeg(const Image& image, int quality = 95);

}  // namespace facekit
