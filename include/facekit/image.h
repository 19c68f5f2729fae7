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
//     kImageTooLarge          width x height > max_pixels (the pixel budget),
//                             or long side > max_long_side_jpeg / _other
//   Dimensions are read from the header first, so an oversized image is
//   refused without being decoded.
//
//   Large photos are decoded at a working resolution, not at full size: a
//   JPEG whose long side exceeds ImageLimits::working_long_side is decoded by
//   libjpeg at 1/2, 1/4 or 1/8 scale (the largest reduction that keeps the
//   long side at or above the working size), other formats are decoded and
//   then resized (INTER_AREA) to it. Such an Image remembers the size of the
//   original (oriented) image in source_width x source_height; FaceEngine
//   takes and returns face coordinates in those original pixels, so callers
//   never see the reduction.
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

/// The default pixel budget, 100 MP: every phone's default output (12-50 MP;
/// a 64 MP sensor's full 9248x6936 is 64.1 MP) with room; 108 and 200 MP
/// full-resolution modes need a larger budget (docs/engine.md).
inline constexpr std::int64_t kDefaultMaxImagePixels = 100'000'000;
/// The default working resolution (long side): twice the detector's
/// max_detect_side (1280), so alignment crops keep twice the detail detection
/// used (docs/engine.md).
inline constexpr int kDefaultWorkingLongSide = 2560;

struct ImageLimits {
  int min_short_side = 64;
  /// Long-side limits per format; 0 = none (the default). CloudImageLimits()
  /// sets the cloud API's documented 4000 (JPEG) and 2000 (other formats).
  int max_long_side_jpeg = 0;
  int max_long_side_other = 0;
  /// The pixel budget: width x height from the header; larger images are
  /// refused (kImageTooLarge) before any pixel is decoded. 0 = no budget.
  std::int64_t max_pixels = kDefaultMaxImagePixels;
  /// Images whose long side exceeds this are decoded at reduced scale (see
  /// above). 0 = always decode at full size.
  int working_long_side = kDefaultWorkingLongSide;
  size_t max_bytes = 0;  ///< 0 = no limit on the encoded size
};

/// The Tencent Cloud face API's documented image limits: JPEG long side
/// <= 4000, other formats <= 2000, short side >= 64 (and the default budget
/// and working size).
ImageLimits CloudImageLimits();

struct Image {
  int width = 0;   ///< of the raster in `bgr`
  int height = 0;
  std::vector<uint8_t> bgr;  ///< width*height*3 bytes, row-major, no padding
  ImageFormat format = ImageFormat::kUnknown;  ///< the encoded format it came from
  /// Size of the original image (after EXIF orientation) when the decoder
  /// reduced it to width x height; 0 = not reduced (the raster is the original).
  int source_width = 0;
  int source_height = 0;

  bool empty() const { return width <= 0 || height <= 0; }
  /// The original image's size: source_width x source_height, else the raster's.
  int original_width() const { return source_width > 0 ? source_width : width; }
  int original_height() const { return source_height > 0 ? source_height : height; }
  /// Original pixels per raster pixel along x and y (1 unless reduced).
  double scale_x() const { return width > 0 ? static_cast<double>(original_width()) / width : 1.0; }
  double scale_y() const { return height > 0 ? static_cast<double>(original_height()) / height : 1.0; }
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

/// The size checks of `limits` on a header: kImageTooLarge (pixel budget,
/// long side) or kImageTooSmall, with a message naming the limit.
Status CheckImageSize(const ImageHeader& header, const ImageLimits& limits);

/// Decodes `bytes` after all checks above.
Result<Image> DecodeImage(std::span<const uint8_t> bytes, const ImageLimits& limits = {});

/// Reads a file and decodes it (kNotFound / kIoError for file problems).
Result<Image> LoadImageFile(const std::string& path, const ImageLimits& limits = {});

/// The formats DecodeImage accepts, for messages: "JPEG, PNG, BMP or WebP".
inline constexpr std::string_view kAcceptedImageFormats = "JPEG, PNG, BMP or WebP";

/// Whether a file name ends in an extension of those formats (.jpg, .jpeg,
/// .png, .bmp, .webp; any case): how folders of images are listed.
bool HasImageFileExtension(std::string_view path);

/// Reads a whole file into memory.
Result<std::vector<uint8_t>> ReadFileBytes(const std::string& path);

/// Encodes `image` by the file extension (.png, .jpg, .bmp, .webp) and writes it.
Status SaveImageFile(const Image& image, const std::string& path);

}  // namespace facekit
