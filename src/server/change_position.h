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

#include <cstdint>
#include <optional>
#include <string_view>

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

}  // namespace facekit::server
