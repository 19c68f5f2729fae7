// Image inputs: given by URL, the download hook the server is configured with
// and the cloud API's error codes for a failed download (shared by every API
// surface); given as base64 text (the cloud endpoint); and the image limits a
// surface checks from the header before the service decodes the image.
//
// THREAD SAFETY
//   Reentrant (DownloadImage if the UrlFetch given to it is).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string_view>
#include <string>
#include <vector>

#include "facekit/image.h"
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

// The bytes of the base64 image parameter `field`, a leading data URL header
// (`data:image/jpeg;base64,`) removed: FailedOperation.ImageSizeExceed when
// the text is longer than `max_base64_bytes` (0 = no limit),
// FailedOperation.ImageDecodeFailed when it is not base64.
service::ApiResult<std::vector<std::uint8_t>> DecodeBase64Image(std::string_view text, const char* field,
                                                               std::size_t max_base64_bytes);

// The size checks of `limits` on the image's header (CheckImageSize), as the
// cloud API's error (FailedOperation.ImageResolutionExceed / TooSmall), before
// anything is decoded. nullopt when they hold, and for bytes that are no
// readable image: decoding them reports that.
std::optional<service::ApiError> CheckImageInput(std::span<const std::uint8_t> image, const ImageLimits& limits);

}  // namespace facekit::server
