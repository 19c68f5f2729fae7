// attendance/liveness_node.h - "FaceLiveness": anti-spoofing per track.
//
// Input "faces": Faces; output "faces": Faces with live / live_score set.
// A face is checked when its track is due a check (or has no verdict yet).
// Options: enabled (true; "off" = pass-through), skip_verified (false: once a
// track was judged live, do not check it again). Degradation step
// "skip_liveness_verified" does the same while engaged. Verdicts of tracks
// unseen for 60 s of stream time are forgotten.
#pragma once

#include <map>
#include <memory>

#include "attendance/engine_provider.h"
#include "attendance/faces.h"
#include "pipeline/node.h"

namespace facekit::attendance {

class LivenessNode final : public pipeline::Node {
 public:
  explicit LivenessNode(std::shared_ptr<EngineProvider> engines) : engines_(std::move(engines)) {}
  static pipeline::Contract GetContract() { return pipeline::Contract().Input<Faces>("faces").Output<Faces>("faces"); }
  Status Open(pipeline::NodeContext& ctx) override;
  Status Process(pipeline::NodeContext& ctx) override;

 private:
  struct Verdict {
    bool live = false;
    float score = 0;
    std::int64_t seen_ms = 0;
  };
  std::shared_ptr<EngineProvider> engines_;
  std::shared_ptr<const FaceEngine> engine_;
  bool enabled_ = true;
  bool skip_verified_ = false;
  std::map<int, Verdict> verdicts_;  // by track id
};

}  // namespace facekit::attendance
