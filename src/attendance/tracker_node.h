// attendance/tracker_node.h - "FaceTrack": track ids across frames (FaceTracker).
//
// Input "faces": Faces; output "faces": Faces with track_id and check set.
// Options: iou_min (0.3), max_centre_shift (0.5), max_missed (3 frames),
// recheck_ms (2000: a known track is searched again this often).
#pragma once

#include "attendance/face_tracker.h"
#include "attendance/faces.h"
#include "pipeline/node.h"

namespace facekit::attendance {

class TrackerNode final : public pipeline::Node {
 public:
  static pipeline::Contract GetContract() { return pipeline::Contract().Input<Faces>("faces").Output<Faces>("faces"); }
  Status Open(pipeline::NodeContext& ctx) override;
  Status Process(pipeline::NodeContext& ctx) override;

 private:
  FaceTracker tracker_;
};

}  // namespace facekit::attendance
