#include "server/grpc_status_map.h"

#include <algorithm>
#include <array>

namespace facekit::server {

grpc::StatusCode GrpcCodeFor(std::string_view c) {
  using grpc::StatusCode;
  const auto is = [&](std::string_view s) { return c == s; };
  const auto starts = [&](std::string_view s) { return c.starts_with(s); };
  const auto ends = [&](std::string_view s) { return c.ends_with(s); };
  if (is("RequestLimitExceeded") || is("LimitExceeded") || is("RequestSizeLimitExceeded")) {
    return StatusCode::RESOURCE_EXHAUSTED;
  }
  if (is("AuthFailure.UnauthorizedOperation")) return StatusCode::PERMISSION_DENIED;
  if (starts("AuthFailure")) return StatusCode::UNAUTHENTICATED;
  if (ends("NotExist") || is("ResourceNotFound")) return StatusCode::NOT_FOUND;
  if (ends("AlreadyExist") || is("FailedOperation.GroupPersonMapExist")) return StatusCode::ALREADY_EXISTS;
  // Limits of what the gallery holds (not of the request).
  static constexpr std::array<std::string_view, 4> kCapacity = {
      "InvalidParameterValue.GroupNumExceed", "InvalidParameterValue.GroupFaceNumExceed",
      "InvalidParameterValue.PersonFaceNumExceed", "InvalidParameterValue.GroupNumPerPersonExceed"};
  if (std::find(kCapacity.begin(), kCapacity.end(), c) != kCapacity.end()) return StatusCode::FAILED_PRECONDITION;
  if (starts("InvalidParameter") || starts("MissingParameter") || starts("UnknownParameter") ||
      is("InvalidAction") || is("NoSuchVersion") || is("UnsupportedProtocol") || starts("FailedOperation.Image") ||
      starts("FailedOperation.Face") || is("FailedOperation.SearchFacesExceed")) {
    return StatusCode::INVALID_ARGUMENT;
  }
  if (is("UnsupportedOperation")) return StatusCode::UNIMPLEMENTED;
  if (starts("InternalError") || is("FailedOperation.ServerError")) return StatusCode::INTERNAL;
  if (is("FailedOperation.ShardsUnavailable")) return StatusCode::UNAVAILABLE;  // retry later; HTTP 503
  if (is("FailedOperation.RequestTimeout")) return StatusCode::DEADLINE_EXCEEDED;  // the caller's deadline; HTTP 504
  if (starts("FailedOperation")) return StatusCode::FAILED_PRECONDITION;
  return StatusCode::UNKNOWN;
}

int HttpStatusFor(grpc::StatusCode code) {
  using grpc::StatusCode;
  switch (code) {
    case StatusCode::OK: return 200;
    case StatusCode::CANCELLED: return 499;
    case StatusCode::INVALID_ARGUMENT: return 400;
    case StatusCode::DEADLINE_EXCEEDED: return 504;
    case StatusCode::NOT_FOUND: return 404;
    case StatusCode::ALREADY_EXISTS: return 409;
    case StatusCode::PERMISSION_DENIED: return 403;
    case StatusCode::UNAUTHENTICATED: return 401;
    case StatusCode::RESOURCE_EXHAUSTED: return 429;
    case StatusCode::FAILED_PRECONDITION: return 400;
    case StatusCode::ABORTED: return 409;
    case StatusCode::OUT_OF_RANGE: return 400;
    case StatusCode::UNIMPLEMENTED: return 501;
    case StatusCode::UNAVAILABLE: return 503;
    case StatusCode::UNKNOWN:
    case StatusCode::INTERNAL:
    case StatusCode::DATA_LOSS:
    default: return 500;
  }
}

std::string_view GrpcCodeName(grpc::StatusCode code) {
  using grpc::StatusCode;
  switch (code) {
    case StatusCode::OK: return "OK";
    case StatusCode::CANCELLED: return "CANCELLED";
    case StatusCode::UNKNOWN: return "UNKNOWN";
    case StatusCode::INVALID_ARGUMENT: return "INVALID_ARGUMENT";
    case StatusCode::DEADLINE_EXCEEDED: return "DEADLINE_EXCEEDED";
    case StatusCode::NOT_FOUND: return "NOT_FOUND";
    case StatusCode::ALREADY_EXISTS: return "ALREADY_EXISTS";
    case StatusCode::PERMISSION_DENIED: return "PERMISSION_DENIED";
    case StatusCode::UNAUTHENTICATED: return "UNAUTHENTICATED";
    case StatusCode::RESOURCE_EXHAUSTED: return "RESOURCE_EXHAUSTED";
    case StatusCode::FAILED_PRECONDITION: return "FAILED_PRECONDITION";
    case StatusCode::ABORTED: return "ABORTED";
    case StatusCode::OUT_OF_RANGE: return "OUT_OF_RANGE";
    case StatusCode::UNIMPLEMENTED: return "UNIMPLEMENTED";
    case StatusCode::INTERNAL: return "INTERNAL";
    case StatusCode::UNAVAILABLE: return "UNAVAILABLE";
    case StatusCode::DATA_LOSS: return "DATA_LOSS";
    default: return "UNKNOWN";
  }
}

}  // namespace facekit::server
