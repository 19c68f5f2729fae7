#include "server/image_input.h"

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

}  // namespace facekit::server
