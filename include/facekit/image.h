// facekit/image.h - decoded images and the decoder's checks.
//
// WHAT THIS REPRESENTS
//   Image is an 8-bit, 3-channel BGR raster owned by value. DecodeImage turns
//   encoded bytes (JPEG, PNG 8/16-bit grey/RGB/RGBA, BMP, WebP) into an Image,
//   applying JPEG EXIF orientation, and rejects every bad input with its own
//   StatusCode before spending time on it:
//     kImageEmpty             zero bytes
//     kImageSizeExceeded      more bytes than ImageLimits::max_bytes
//     kImageUnsupportedFormat GIF, TIFF, ... or bytes of no known format
//     kImageTruncated         data ends before the format's end marker
//     kImageCorrupt           a known format that does not decode
//     kImageTooSmall          short side < min_short_side
//     kImageTooLarge          long side > max_long_side_jpeg / _other
//   Dimensions are read from the header first, so an oversized image is
//   refused without being decoded.
//
// THREAD SAFETY
//   Free functions, reentrant.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "facekit/status.h"

namespace facekit {

enum class ImageFormat { kUnknown, kJpeg, kPng, kBmp, kWebp, kGif, kTiff, kOther };

std::string_view ImageFormatName(ImageFormat f);

struct ImageLimits {
  int min_short_side = 64;
  int max_long_side_jpeg = 4000;
  int max_long_side_other = 2000;
  size_t max_bytes = 0;  ///< 0 = no limit on the encoded size
};

struct Image {
  int width = 0;
  int height = 0;
  std::vector<uint8_t> bgr;  ///< width*height*3 bytes, row-major, no padding
  ImageFormat format = ImageFormat::kUnknown;  ///< the encoded format it came from

  bool empty() const { return width <= 0 || height <= 0; }
};

/// What the header says, without decoding pixels.
struct ImageHeader {
  ImageFormat format = ImageFormat::kUnknown;
  int width = 0;
  int height = 0;
};

/// Identifies the format from magic bytes.
ImageFormat SniffImageFormat(std::span<const uint8_t> bytes);

/// Reads format and dimensions from the header (before EXIF rotation).
Result<ImageHeader> ReadImageHeader(std::span<const uint8_t> bytes);

/// Decodes `bytes` after all checks above.
Result<Image> DecodeImage(std::span<const uint8_t> bytes, const ImageLimits& limits = {});

/// Reads a file and decodes it (kNotFound / kIoError for file problems).
Result<Image> LoadImageFile(const std::string& path, const ImageLimits& limits = {});

/// Reads a whole file into memory.
Result<std::vector<uint8_t>> ReadFileBytes(const std::string& path);

/// Encodes `image` by the file extension (.png, .jpg, .bmp, .webp) and writes it.
Status SaveImageFile(const Image& image, const std::string& path);

}  // namespace facekit
