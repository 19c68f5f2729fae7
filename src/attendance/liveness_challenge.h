// attendance/liveness_challenge.h - LivenessChallenge: the active liveness
// check of one track (blink, head turn), decided from per-frame measures.
//
// WHAT THIS REPRESENTS
//   A state machine fed one Sample per frame of a track (eye openness and
//   yaw from the face mesh, with the frame's index and time). It asks for
//   its actions in order; each must be seen within time_limit_ms of being
//   asked, otherwise the challenge is timed out. It passes when the last
//   action was seen. Evidence (the frames and values that decided each
//   action) is kept for the event.
//
//   blink: the eye openness falls below closed_ratio x the track's own
//     open-eye baseline (the median openness of the samples so far, once
//     baseline_frames samples were seen) and rises back above
//     open_ratio x baseline within blink_window_ms of the first closed
//     frame. Eyes closed for longer restart the wait.
//   turn-left / turn-right: the yaw moves at least turn_deg from the
//     track's frontal baseline (median yaw of the samples so far, before the
//     turn) in the asked direction (left = the person's left, yaw > 0), then
//     comes back within return_deg of the baseline.
//   Samples whose mesh confidence is below min_confidence are counted but
//   not used. Blinks that were not asked are ignored (people blink); a turn
//   that was not asked (the other way, or while a blink is asked) is ignored
//   too, unless `strict`: then it fails the challenge at once. Strict
//   stops a replayed recording that shows every action in a fixed order
//   unless its order happens to match the drawn one; it also fails a
//   recording of a live person (which cannot follow prompts).
//
// THREAD SAFETY
//   None; one per track, used by one node.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "facekit/status.h"

namespace facekit::attendance {

enum class ChallengeAction { kBlink, kTurnLeft, kTurnRight };
enum class ChallengeDecision { kPending, kPassed, kTimedOut, kFailed };

std::string ActionName(ChallengeAction a);      ///< "blink", "turn-left", "turn-right"
std::string DecisionName(ChallengeDecision d);  ///< "pending", "passed", "timed_out", "failed"
Result<ChallengeAction> ParseAction(const std::string& name);

struct ChallengeOptions {
  std::int64_t time_limit_ms = 8000;    ///< per action, from when it is asked
  float min_confidence = 0.5f;          ///< mesh frames below are not used
  int baseline_frames = 3;              ///< samples needed before an action can be seen
  float closed_ratio = 0.6f;            ///< blink: closed below this x baseline openness
  float open_ratio = 0.85f;             ///< blink: reopened above this x baseline
  std::int64_t blink_window_ms = 1000;  ///< blink: closed -> reopened within this
  float turn_deg = 15.f;                ///< turn: yaw this far from the baseline
  float return_deg = 8.f;               ///< turn: back within this of the baseline
  bool strict = false;                  ///< a turn not asked fails the challenge
};

struct ChallengeSample {
  std::int64_t frame_index = 0;
  std::int64_t pts_ms = 0;
  float confidence = 0.f;  ///< the mesh's face confidence
  float openness = 0.f;    ///< mean eye aspect ratio
  float yaw = 0.f;         ///< degrees, > 0 = turned to the person's left
};

/// One frame that decided part of an action.
struct EvidenceFrame {
  std::int64_t frame_index = 0;
  std::int64_t pts_ms = 0;
  float value = 0.f;  ///< openness (blink) or yaw (turn)
};

struct ActionEvidence {
  ChallengeAction action = ChallengeAction::kBlink;
  std::int64_t asked_ms = 0;
  bool passed = false;
  float baseline = 0.f;                     ///< open-eye openness or frontal yaw
  std::optional<EvidenceFrame> extreme;     ///< first closed frame (lowest openness) / furthest yaw
  std::optional<EvidenceFrame> back;        ///< reopened / back to frontal
  int frames = 0;                           ///< samples while this action was asked
  std::optional<std::string> wrong_action;  ///< strict: the turn that failed it (its frames in extreme/back)
};

class LivenessChallenge {
 public:
  LivenessChallenge(std::vector<ChallengeAction> actions, ChallengeOptions options, std::int64_t start_ms);

  /// Feeds one frame; returns the decision after it.
  ChallengeDecision Add(const ChallengeSample& s);
  /// Decides a timeout without a sample (the track was not seen): timed out
  /// when now_ms is past the current action's limit.
  ChallengeDecision Expire(std::int64_t now_ms);

  ChallengeDecision decision() const { return decision_; }
  /// The action being asked (none once decided).
  std::optional<ChallengeAction> current() const;
  const std::vector<ChallengeAction>& actions() const { return actions_; }
  const std::vector<ActionEvidence>& evidence() const { return evidence_; }
  std::int64_t start_ms() const { return start_ms_; }
  /// When it was decided (pts of the deciding frame, or the deadline for a timeout).
  std::int64_t decided_ms() const { return decided_ms_; }
  int samples() const { return samples_; }
  int low_confidence_samples() const { return low_confidence_; }

 private:
  void Ask(std::size_t step, std::int64_t now_ms);
  // A head turn and its way back, whatever was asked.
  struct Turn {
    int sign = 0;  // +1 left, -1 right
    float baseline = 0.f;
    EvidenceFrame extreme, back;
  };
  bool SeeBlink(const ChallengeSample& s, ActionEvidence& e);
  /// +1 / -1 when a turn to the left / right came back with this sample
  /// (its frames in *done), else 0.
  int TrackTurn(const ChallengeSample& s, Turn* done);
  std::size_t Need() const { return static_cast<std::size_t>(options_.baseline_frames); }

  std::vector<ChallengeAction> actions_;
  ChallengeOptions options_;
  std::int64_t start_ms_;
  std::size_t step_ = 0;
  ChallengeDecision decision_ = ChallengeDecision::kPending;
  std::int64_t decided_ms_ = -1;
  std::vector<ActionEvidence> evidence_;
  // The track's history of used samples (for the baselines).
  std::vector<float> openness_, yaw_;
  // When the current blink's closure started; the turn in progress.
  std::optional<std::int64_t> excursion_ms_;
  std::optional<Turn> turn_;
  int samples_ = 0, low_confidence_ = 0;
};

/// The median of `v` (0 for none).
float Median(std::vector<float> v);

}  // namespace facekit::attendance
