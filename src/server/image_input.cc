#include "server/image_input.h"

#include "common/base64.h"

namespace facekit::server {

service::ApiResult<std::vector<std::uint8_t>> DownloadImage(const UrlFetch& fetch, const std::string& url) {
  using service::ApiError;
  if (!fetch) return ApiError{"InvalidParameterValue.UrlIllegal", "Url inputs are disabled on this server"};
  auto got = fetch(url);
  if (got.ok()) return std::move(got.value());
  switch (got.status().code()) {
    case StatusCode::kInvalidArgument:
      return ApiError{"InvalidParameterValue.UrlIllegal", got.status().message()};
    case StatusCode::kImageSizeExceeded:
      return ApiError{"FailedOperation.ImageSizeExceed", got.status().message()};
    default:
      return ApiError{"FailedOperation.ImageDownloadError", got.status().message()};
  }
}

service::ApiResult<std::vector<std::uint8_t>> DecodeBase64Image(std::string_view text, const char* field,
                                                               std::size_t max_base64_bytes) {
  using service::ApiError;
  // The cloud API's FAQ: the most common mistake is leaving the data URL header on.
  if (text.starts_with("data:")) {
    const auto comma = text.find(',');
    if (comma == std::string_view::npos || text.substr(0, comma).find(";base64") == std::string_view::npos) {
      return ApiError{"FailedOperation.ImageDecodeFailed",
                      std::string(field) + " starts like a data URL but has no ';base64,' header"};
    }
    text.remove_prefix(comma + 1);
  }
  if (max_base64_bytes > 0 && text.size() > max_base64_bytes) {
    return ApiError{"FailedOperation.ImageSizeExceed", std::string(field) + " is " + std::to_string(text.size()) +
                                                           " bytes of base64, more than the limit of " +
                                                           std::to_string(max_base64_bytes)};
  }
  auto bytes = Base64Decode(text);
  if (!bytes) return ApiError{"FailedOperation.ImageDecodeFailed", std::string(field) + " is not valid base64"};
  return std::move(*bytes);
}

std::optional<service::ApiError> CheckImageInput(std::span<const std::uint8_t> image, const ImageLimits& limits) {
  auto header = ReadImageHeader(image);
  if (!header.ok()) return std::nullopt;
  Status size = CheckImageSize(*header, limits);
  if (size.ok()) return std::nullopt;
  return service::ImageError(size);
}

}  // namespace facekit::server
