// attendance/face_detect_node.h - "FaceDetect": faces of each frame.
//
// Input "frames": Frame; output "faces": Faces (every frame, possibly with no
// face). Options: min_face_size (40 px), max_faces (0 = all),
// max_detect_side (0 = the model's default). Degradation step
// "small_detect_input" halves the detection side (faster, misses small faces).
#pragma once

#include <memory>

#include "attendance/engine_provider.h"
#include "attendance/faces.h"
#include "pipeline/node.h"

namespace facekit::attendance {

class FaceDetectNode final : public pipeline::Node {
 public:
  explicit FaceDetectNode(std::shared_ptr<EngineProvider> engines) : engines_(std::move(engines)) {}
  static pipeline::Contract GetContract() {
    return pipeline::Contract().Input<media::Frame>("frames").Output<Faces>("faces");
  }
  Status Open(pipeline::NodeContext& ctx) override;
  Status Process(pipeline::NodeContext& ctx) override;

 private:
  std::shared_ptr<EngineProvider> engines_;
  std::shared_ptr<const FaceEngine> engine_;
  DetectOptions options_;
};

}  // namespace facekit::attendance
