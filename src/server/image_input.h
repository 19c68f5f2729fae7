// Image inputs given by URL: the download hook the server is configured with
// and the cloud API's error codes for a failed download. Shared by every API
// surface.
//
// THREAD SAFETY
//   DownloadImage is reentrant if the UrlFetch given to it is.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "facekit/status.h"
#include "service/face_service.h"

namespace facekit::server {

// Downloads a Url image input. Status codes: kInvalidArgument = the URL is
// illegal or points at a refused address; kImageSizeExceeded = too large;
// anything else = the download failed.
using UrlFetch = std::function<Result<std::vector<std::uint8_t>>(const std::string& url)>;

// The image at `url`, or InvalidParameterValue.UrlIllegal (also when `fetch`
// is empty: Url inputs disabled), FailedOperation.ImageSizeExceed or
// FailedOperation.ImageDownloadError.
service::ApiResult<std::vector<std::uint8_t>> DownloadImage(const UrlFetch& fetch, const std::string& url);

}  // namespace facekit::server
