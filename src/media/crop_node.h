// media/crop_node.h - "CentreCrop": keeps the centre region of each frame and
// downscales it (a door camera watching a corridor: faces only appear in the
// middle; detection costs grow with the pixel count).
//
// Input "frames": Frame; output "frames": Frame. Options: fraction (1.0: the
// share of width and height kept around the centre, (0, 1]), max_side (0 =
// no downscale; else the long side of the result at most this many pixels).
#pragma once

#include "media/frame.h"
#include "pipeline/node.h"

namespace facekit::media {

class CentreCropNode final : public pipeline::Node {
 public:
  static pipeline::Contract GetContract() {
    return pipeline::Contract().Input<Frame>("frames").Output<Frame>("frames");
  }
  Status Open(pipeline::NodeContext& ctx) override;
  Status Process(pipeline::NodeContext& ctx) override;

 private:
  double fraction_ = 1.0;
  std::int64_t max_side_ = 0;
};

}  // namespace facekit::media
