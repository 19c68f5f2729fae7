// attendance/challenge_node.h - "FaceChallenge": active liveness per track.
//
// Input "faces": Faces; outputs "faces": Faces (challenge_passed,
// challenge_prompt and challenge set on every face) and "events": Event (one
// {"type":"challenge",...} per decided track: the evidence). While a track's
// challenge is pending the node runs the face mesh on each of its frames and
// feeds eye openness and yaw to the track's LivenessChallenge; once decided
// it runs nothing more for that track (nor on frames where FaceLiveness
// judged the face a spoof: it is refused anyway). Faces of tracks that have not passed
// are marked (challenge_passed = false), so EmbedSearch and CheckinDedup skip
// them. A timed-out track stays failed until it is forgotten (unseen 60 s):
// a new attempt is a new track.
//
// Options:
//   challenge  "none" (default: pass-through, no model loaded), "blink",
//              "turn" (turn-left or turn-right, drawn per track), "turn-left",
//              "turn-right", or "random" (`length` actions drawn per track
//              from the three, no action twice in a row)
//   length     2 (random only)
//   seed       0 (the draws are a function of seed and track id)
//   time_limit_ms 8000 (per action), min_confidence (< 0 = the model's),
//   baseline_frames 3, closed_ratio 0.6, open_ratio 0.85, blink_window_ms 1000,
//   turn_deg 15, return_deg 8, strict false (a turn not asked fails the
//   challenge; LivenessChallenge).
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "attendance/engine_provider.h"
#include "attendance/faces.h"
#include "attendance/liveness_challenge.h"
#include "pipeline/node.h"

namespace facekit::attendance {

class ChallengeNode final : public pipeline::Node {
 public:
  explicit ChallengeNode(std::shared_ptr<EngineProvider> engines) : engines_(std::move(engines)) {}
  static pipeline::Contract GetContract() {
    return pipeline::Contract().Input<Faces>("faces").Output<Faces>("faces").Output<media::Event>("events");
  }
  Status Open(pipeline::NodeContext& ctx) override;
  Status Process(pipeline::NodeContext& ctx) override;
  Status Close(pipeline::NodeContext& ctx) override;

 private:
  struct Track {
    LivenessChallenge challenge;
    std::int64_t seen_ms = 0;
    bool reported = false;
  };
  std::vector<ChallengeAction> ActionsFor(int track_id) const;
  Status Report(pipeline::NodeContext& ctx, int track_id, Track& t, std::int64_t pts_ms, bool track_lost);

  std::shared_ptr<EngineProvider> engines_;
  std::shared_ptr<const FaceMesh> mesh_;
  std::string mode_ = "none";
  int length_ = 2;
  std::uint64_t seed_ = 0;
  ChallengeOptions options_;
  std::map<int, Track> tracks_;
  pipeline::Timestamp last_timestamp_ = 0;
  std::int64_t last_pts_ms_ = 0;
};

/// The summary of a challenge copied into check-in events:
/// {"asked":[..],"decision":..,"time_to_decision_ms":..}.
nlohmann::json ChallengeSummary(const LivenessChallenge& c);
/// The evidence event of a decided (or abandoned) challenge.
nlohmann::json ChallengeEvent(const LivenessChallenge& c, int track_id, std::int64_t pts_ms, bool track_lost);

}  // namespace facekit::attendance
