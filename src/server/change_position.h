// change_position.h - read-your-writes across the nodes of one database
// (docs/scale-out.md, "Read-your-writes"): every answer of a node on a shared
// store carries the change-log position it reflects (X-FaceKit-Seq, gRPC
// metadata x-facekit-seq); a request that carries a position
// (X-FaceKit-Min-Seq / x-facekit-min-seq) is answered only once the node has
// applied the log that far (service::FaceService::AwaitChangePosition).
//
// THREAD SAFETY
//   Stateless.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

#include "service/face_service.h"

namespace facekit::server {

inline constexpr const char* kChangePositionHeader = "X-FaceKit-Seq";
inline constexpr const char* kChangePositionMetadata = "x-facekit-seq";
inline constexpr const char* kMinChangePositionHeader = "x-facekit-min-seq";  // HTTP (lower-cased) and gRPC

inline constexpr const char* kMinChangePositionFormat =
    "X-FaceKit-Min-Seq (gRPC metadata x-facekit-min-seq) must be a change position as an earlier answer's "
    "X-FaceKit-Seq gave it: 1 to 18 decimal digits";

// A position as sent: 1 to 18 ASCII digits (0 means none asked); nullopt when malformed.
inline std::optional<std::int64_t> ParseChangePosition(std::string_view text) {
  if (text.empty() || text.size() > 18) return std::nullopt;
  std::int64_t v = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  return v;
}

// The request's X-FaceKit-Min-Seq value (`header`, empty: none asked) parsed
// into `*min_seq` and reached on this node before the action runs
// (FaceService::AwaitChangePosition); the refusal otherwise. Both the cloud
// endpoint and gRPC (so REST) call it.
inline std::optional<service::ApiError> ReachRequestedPosition(
    service::FaceService& service, std::string_view header,
    std::optional<std::chrono::steady_clock::time_point> deadline, std::int64_t* min_seq) {
  if (header.empty()) return std::nullopt;
  const auto position = ParseChangePosition(header);
  if (!position) return service::ApiError{"InvalidParameterValue", kMinChangePositionFormat};
  *min_seq = *position;
  return service.AwaitChangePosition(*min_seq, deadline);
}

}  // namespace facekit::server
