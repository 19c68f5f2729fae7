// Format sniffing, header parsing and structural completeness checks.
#include <cstring>
#include <limits>

#include "facekit/image.h"
#include "image/image_internal.h"

#include <webp/decode.h>

namespace facekit {
namespace {

uint32_t Be32(const uint8_t* p) { return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3]; }
uint16_t Be16(const uint8_t* p) { return static_cast<uint16_t>((p[0] << 8) | p[1]); }
uint32_t Le32(const uint8_t* p) { return uint32_t{p[0]} | (uint32_t{p[1]} << 8) | (uint32_t{p[2]} << 16) | (uint32_t{p[3]} << 24); }
uint16_t Le16(const uint8_t* p) { return static_cast<uint16_t>(p[0] | (p[1] << 8)); }

Status Truncated(std::string_view fmt, const std::string& what) {
  return {StatusCode::kImageTruncated, std::string(fmt) + " data is truncated: " + what};
}
Status Corrupt(std::string_view fmt, const std::string& what) {
  return {StatusCode::kImageCorrupt, std::string(fmt) + " data is corrupt: " + what};
}

bool IsSof(uint8_t m) {
  return m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC;
}

// Walks JPEG segments up to EOI. Fills width/height from the first SOF.
Status ParseJpeg(std::span<const uint8_t> b, ImageHeader* h) {
  size_t n = b.size();
  size_t i = 2;
  bool have_sof = false;
  while (true) {
    if (i >= n) return Truncated("JPEG", have_sof ? "no end-of-image marker" : "no frame header");
    if (b[i] != 0xFF) return Corrupt("JPEG", "expected a marker at byte " + std::to_string(i));
    while (i < n && b[i] == 0xFF) ++i;  // fill bytes
    if (i >= n) return Truncated("JPEG", "ends inside a marker");
    uint8_t m = b[i++];
    if (m == 0xD9) break;  // EOI
    if (m == 0x01 || (m >= 0xD0 && m <= 0xD7)) continue;  // no length
    if (m == 0xD8 || m == 0x00) return Corrupt("JPEG", "unexpected marker");
    if (i + 2 > n) return Truncated("JPEG", "ends inside a segment length");
    uint16_t len = Be16(&b[i]);
    if (len < 2) return Corrupt("JPEG", "segment length < 2");
    if (i + len > n) return Truncated("JPEG", "segment extends past the end of the data");
    if (IsSof(m) && !have_sof) {
      if (len < 7) return Corrupt("JPEG", "short frame header");
      h->height = Be16(&b[i + 3]);
      h->width = Be16(&b[i + 5]);
      have_sof = true;
    }
    i += len;
    if (m == 0xDA) {
      // Entropy-coded data: runs until a marker other than FF00 / RSTn.
      while (true) {
        if (i + 1 >= n) return Truncated("JPEG", "ends inside the compressed scan data");
        if (b[i] == 0xFF && b[i + 1] != 0x00 && !(b[i + 1] >= 0xD0 && b[i + 1] <= 0xD7) && b[i + 1] != 0xFF) break;
        ++i;
      }
    }
  }
  if (!have_sof) return Corrupt("JPEG", "no frame header before end-of-image");
  return Status::Ok();
}

Status ParsePng(std::span<const uint8_t> b, ImageHeader* h) {
  size_t n = b.size();
  if (n < 33) return Truncated("PNG", "shorter than a PNG header");
  if (std::memcmp(&b[12], "IHDR", 4) != 0) return Corrupt("PNG", "first chunk is not IHDR");
  h->width = static_cast<int>(Be32(&b[16]));
  h->height = static_cast<int>(Be32(&b[20]));
  size_t i = 8;
  while (true) {
    if (i + 8 > n) return Truncated("PNG", "no IEND chunk");
    uint64_t len = Be32(&b[i]);
    if (len > 0x7fffffffu) return Corrupt("PNG", "chunk length out of range");
    const uint8_t* type = &b[i + 4];
    for (int k = 0; k < 4; ++k) {
      bool alpha = (type[k] >= 'A' && type[k] <= 'Z') || (type[k] >= 'a' && type[k] <= 'z');
      if (!alpha) return Corrupt("PNG", "invalid chunk type");
    }
    if (i + 12 + len > n) return Truncated("PNG", "chunk extends past the end of the data");
    if (std::memcmp(type, "IEND", 4) == 0) break;
    i += 12 + len;
  }
  return Status::Ok();
}

Status ParseBmp(std::span<const uint8_t> b, ImageHeader* h) {
  size_t n = b.size();
  if (n < 26) return Truncated("BMP", "shorter than a BMP header");
  uint32_t offset = Le32(&b[10]);
  uint32_t dib = Le32(&b[14]);
  int bpp = 0;
  uint32_t compression = 0;
  if (dib == 12) {
    h->width = Le16(&b[18]);
    h->height = Le16(&b[20]);
    bpp = Le16(&b[24]);
  } else if (dib >= 40) {
    if (n < 34) return Truncated("BMP", "shorter than its info header");
    h->width = static_cast<int32_t>(Le32(&b[18]));
    int32_t hh = static_cast<int32_t>(Le32(&b[22]));
    // Negative = top-down rows; INT32_MIN has no positive twin (image_fuzz).
    if (hh == std::numeric_limits<int32_t>::min()) return Corrupt("BMP", "height out of range");
    h->height = hh < 0 ? -hh : hh;
    bpp = Le16(&b[28]);
    compression = Le32(&b[30]);
  } else {
    return Corrupt("BMP", "unknown info header size " + std::to_string(dib));
  }
  if (h->width <= 0 || h->height <= 0) return Corrupt("BMP", "non-positive dimensions");
  if (offset > n) return Truncated("BMP", "pixel data offset past the end of the data");
  if (compression == 0 || compression == 3) {  // BI_RGB / BI_BITFIELDS: size is known
    uint64_t stride = ((uint64_t{static_cast<uint32_t>(h->width)} * static_cast<uint32_t>(bpp) + 31) / 32) * 4;
    if (offset + stride * static_cast<uint64_t>(h->height) > n) return Truncated("BMP", "fewer pixel rows than the header says");
  }
  return Status::Ok();
}

constexpr size_t kOpenCvWebpHeader = 32;  // OpenCV's WEBP_HEADER_SIZE

Status ParseWebp(std::span<const uint8_t> b, ImageHeader* h) {
  size_t n = b.size();
  if (n < 30) return Truncated("WebP", "shorter than a WebP header");
  uint64_t riff = Le32(&b[4]);
  if (riff + 8 > n) return Truncated("WebP", "RIFF size exceeds the data");
  const uint8_t* c = &b[12];
  if (std::memcmp(c, "VP8 ", 4) == 0) {
    if (b[23] != 0x9d || b[24] != 0x01 || b[25] != 0x2a) return Corrupt("WebP", "bad VP8 start code");
    h->width = Le16(&b[26]) & 0x3fff;
    h->height = Le16(&b[28]) & 0x3fff;
  } else if (std::memcmp(c, "VP8L", 4) == 0) {
    if (b[20] != 0x2f) return Corrupt("WebP", "bad VP8L signature");
    uint32_t bits = Le32(&b[21]);
    h->width = static_cast<int>((bits & 0x3fff) + 1);
    h->height = static_cast<int>(((bits >> 14) & 0x3fff) + 1);
  } else if (std::memcmp(c, "VP8X", 4) == 0) {
    h->width = static_cast<int>((b[24] | (b[25] << 8) | (b[26] << 16)) + 1);
    h->height = static_cast<int>((b[27] | (b[28] << 8) | (b[29] << 16)) + 1);
  } else {
    return Corrupt("WebP", "unknown first chunk");
  }
  // OpenCV claims WebP data only when libwebp accepts its first 32 bytes
  // (WebPDecoder::checkSignature). Data it does not claim falls through to
  // the decoders after it, which look elsewhere for their magic: GDCM found
  // "DICM" at byte 128 of such a file and aborted on an assertion
  // (image_fuzz). So the same check is made here first.
  WebPBitstreamFeatures features;
  if (n < kOpenCvWebpHeader || WebPGetFeatures(b.data(), kOpenCvWebpHeader, &features) != VP8_STATUS_OK) {
    return Corrupt("WebP", "libwebp refuses the header");
  }
  return Status::Ok();
}

}  // namespace

std::string_view ImageFormatName(ImageFormat f) {
  switch (f) {
    case ImageFormat::kJpeg: return "JPEG";
    case ImageFormat::kPng: return "PNG";
    case ImageFormat::kBmp: return "BMP";
    case ImageFormat::kWebp: return "WebP";
    case ImageFormat::kGif: return "GIF";
    case ImageFormat::kTiff: return "TIFF";
    case ImageFormat::kOther: return "other";
    case ImageFormat::kUnknown: break;
  }
  return "unknown";
}

ImageFormat SniffImageFormat(std::span<const uint8_t> b) {
  auto starts = [&](const char* magic, size_t len, size_t at = 0) {
    return b.size() >= at + len && std::memcmp(b.data() + at, magic, len) == 0;
  };
  if (starts("\xFF\xD8\xFF", 3)) return ImageFormat::kJpeg;
  if (starts("\x89PNG\r\n\x1A\n", 8)) return ImageFormat::kPng;
  if (starts("BM", 2)) return ImageFormat::kBmp;
  if (starts("RIFF", 4) && starts("WEBP", 4, 8)) return ImageFormat::kWebp;
  if (starts("GIF87a", 6) || starts("GIF89a", 6)) return ImageFormat::kGif;
  if (starts("II*\0", 4) || starts("MM\0*", 4)) return ImageFormat::kTiff;
  if (starts("ftyp", 4, 4) || starts("\0\0\0\x0CjP  ", 8) || starts("8BPS", 4)) return ImageFormat::kOther;
  return ImageFormat::kUnknown;
}

Result<ImageHeader> ReadImageHeader(std::span<const uint8_t> bytes) {
  if (bytes.empty()) return Status(StatusCode::kImageEmpty, "image data is empty");
  ImageHeader h;
  h.format = SniffImageFormat(bytes);
  Status st;
  switch (h.format) {
    case ImageFormat::kJpeg: st = ParseJpeg(bytes, &h); break;
    case ImageFormat::kPng: st = ParsePng(bytes, &h); break;
    case ImageFormat::kBmp: st = ParseBmp(bytes, &h); break;
    case ImageFormat::kWebp: st = ParseWebp(bytes, &h); break;
    case ImageFormat::kGif:
    case ImageFormat::kTiff:
    case ImageFormat::kOther:
      return Status(StatusCode::kImageUnsupportedFormat,
                    std::string(ImageFormatName(h.format)) + " images are not supported (use " + std::string(kAcceptedImageFormats) + ")");
    case ImageFormat::kUnknown:
      return Status(StatusCode::kImageUnsupportedFormat,
                    "data is not a " + std::string(kAcceptedImageFormats) + " image");
  }
  if (!st.ok()) return st;
  if (h.width <= 0 || h.height <= 0) {
    return Status(StatusCode::kImageCorrupt, std::string(ImageFormatName(h.format)) + " header has zero dimensions");
  }
  return h;
}

}  // namespace facekit
