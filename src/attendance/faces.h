// attendance/faces.h - the "Faces" packet: a frame and the faces found in it,
// filled in step by step by the attendance nodes (detect, track, liveness,
// search). Each node copies the packet, adds its part and emits the copy
// (the frame's pixels are shared, not copied).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "facekit/engine.h"
#include "media/frame.h"

namespace facekit::attendance {

/// Per-track state (liveness verdicts, identities) of a track unseen for this
/// long in stream time is forgotten; longer than any tracker's max_missed.
inline constexpr std::int64_t kForgetTrackMs = 60000;

struct TrackedFace {
  FaceBox box;                ///< in the frame's coordinates
  int track_id = -1;          ///< set by FaceTracker; -1 before
  bool check = false;         ///< tracker: new track or re-check period elapsed
  std::optional<bool> live;   ///< set by FaceLiveness (false also while a new track awaits confirmation); unset = node off
  float live_score = 0;       ///< the passive model's 0-100 score when FaceLiveness runs it (passive report/veto), else 0
  std::string person_id;      ///< set by EmbedSearch when recognised; empty = unknown
  std::string person_name;
  float score = 0;            ///< search score (0-100) of person_id
  /// Set by FaceChallenge: unset = no challenge (node off); false = asked and
  /// not passed (yet, or timed out).
  std::optional<bool> challenge_passed;
  std::string challenge_prompt;  ///< the action being asked now ("blink", ...); empty when none
  nlohmann::json challenge;      ///< summary for the check-in event; null = no challenge

  /// Neither judged a spoof by FaceLiveness nor held back by FaceChallenge:
  /// only such faces are searched and checked in.
  bool Admitted() const {
    return !(live.has_value() && !*live) && !(challenge_passed.has_value() && !*challenge_passed);
  }
};

struct Faces {
  media::Frame frame;
  std::vector<TrackedFace> faces;
};

}  // namespace facekit::attendance

FACEKIT_PIPELINE_PACKET_TYPE(facekit::attendance::Faces, "Faces");
