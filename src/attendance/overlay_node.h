// attendance/overlay_node.h - "FaceOverlay": draws boxes, track ids and names.
//
// Input "faces": Faces; output "frames": Frame (a copy of the frame with a
// green box and "name score" for recognised faces, orange "#track" for the
// others, red for faces judged not live or whose challenge failed, yellow
// with "please <action>" while a challenge is pending). Options: enabled (true; off = the
// frame as it came).
#pragma once

#include "attendance/faces.h"
#include "pipeline/node.h"

namespace facekit::attendance {

class OverlayNode final : public pipeline::Node {
 public:
  static pipeline::Contract GetContract() {
    return pipeline::Contract().Input<Faces>("faces").Output<media::Frame>("frames");
  }
  Status Open(pipeline::NodeContext& ctx) override;
  Status Process(pipeline::NodeContext& ctx) override;

 private:
  bool enabled_ = true;
};

}  // namespace facekit::attendance
