// attendance/liveness_node.h - "FaceLiveness": anti-spoofing per track with
// the combined liveness decision (LivenessJudge: replay-medium evidence, the
// passive model as configured; docs/liveness.md).
//
// Input "faces": Faces; outputs "faces": Faces with live / live_score set,
// and "events": Event, one {"type": "liveness", "track_id", "pts_ms",
// "live", "reason", "evidence"} each time a track's verdict changes
// (evidence: the decision's JSON, antispoof/decision_json.h). "events" may
// stay unconnected.
//
// A track is pending (live = false) until `confirm_frames` judgements in a
// row, one per frame, find no replay medium; then it is live. Any judgement
// that finds one makes it not live. A live or not-live track is judged again
// when its track is due a check (FaceTrack's recheck_ms), a not-live one
// starting over as pending; with skip_verified (or the degradation step
// "skip_liveness_verified") a live track is not judged again.
//
// Object detection (CenterNet, the costly cue) runs on the frame only when
// a judgement needs it and the last detection is older than
// objects_interval_ms of stream time, or older than objects_new_track_ms
// when a new track appears; between runs the last detections are used.
//
// Options: enabled (true; "off" = pass-through), skip_verified (false),
// confirm_frames (3), objects (true), objects_interval_ms (1000),
// objects_new_track_ms (200), object_input_size (0 = manifest), passive
// ("off": not run; "report": run, reported in events, no weight; "veto"),
// passive_veto_spoof (0.9). Verdicts of tracks unseen for 60 s of stream
// time are forgotten.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "attendance/engine_provider.h"
#include "attendance/faces.h"
#include "facekit/liveness_judge.h"
#include "media/frame.h"
#include "pipeline/node.h"

namespace facekit::attendance {

class LivenessNode final : public pipeline::Node {
 public:
  explicit LivenessNode(std::shared_ptr<EngineProvider> engines) : engines_(std::move(engines)) {}
  static pipeline::Contract GetContract() {
    return pipeline::Contract().Input<Faces>("faces").Output<Faces>("faces").Output<media::Event>("events");
  }
  Status Open(pipeline::NodeContext& ctx) override;
  Status Process(pipeline::NodeContext& ctx) override;

 private:
  enum class Verdict { kPending, kLive, kNotLive };
  struct Track {
    Verdict verdict = Verdict::kPending;
    int streak = 0;  // judgements in a row that found no medium, while pending
    float score = 0;
    std::int64_t seen_ms = 0;
  };
  Status ReadOptions(pipeline::NodeContext& ctx);
  // The media objects for a judgement on this frame, refreshed as the
  // options say.
  Result<const std::vector<DetectedObject>*> Media(const Image& image, std::int64_t frame_index, std::int64_t now_ms,
                                                   bool new_track);
  Status Judge(pipeline::NodeContext& ctx, const Image& image, const Faces& faces, TrackedFace& f, Track& t,
               bool new_track);

  std::shared_ptr<EngineProvider> engines_;
  std::shared_ptr<const FaceEngine> engine_;
  std::unique_ptr<LivenessJudge> judge_;
  bool enabled_ = true;
  bool skip_verified_ = false;
  int confirm_frames_ = 3;
  bool objects_ = true;
  std::int64_t objects_interval_ms_ = 1000;
  std::int64_t objects_new_track_ms_ = 200;
  std::map<int, Track> tracks_;  // by track id
  std::vector<DetectedObject> media_;
  bool have_media_ = false;
  std::int64_t media_ms_ = 0;
  std::int64_t media_frame_ = -1;
};

}  // namespace facekit::attendance
