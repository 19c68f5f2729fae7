#include "attendance/face_detect_node.h"

#include <algorithm>

#include "attendance/node_util.h"
#include "pipeline/node_options.h"

namespace facekit::attendance {

Status FaceDetectNode::Open(pipeline::NodeContext& ctx) {
  FACEKIT_ASSIGN_OR_RETURN(engine_, engines_->Get());
  FACEKIT_ASSIGN_OR_RETURN(std::int64_t min_face, pipeline::OptionInt(ctx, "min_face_size", 40, 0, 10000));
  FACEKIT_ASSIGN_OR_RETURN(std::int64_t max_faces, pipeline::OptionInt(ctx, "max_faces", 0, 0, 1000));
  FACEKIT_ASSIGN_OR_RETURN(std::int64_t side, pipeline::OptionInt(ctx, "max_detect_side", 0, 0, 10000));
  options_.min_face_size = static_cast<int>(min_face);
  options_.max_faces = static_cast<int>(max_faces);
  options_.max_detect_side = static_cast<int>(side);
  return Status::Ok();
}

Status FaceDetectNode::Process(pipeline::NodeContext& ctx) {
  const pipeline::Packet& in = ctx.Input("frames");
  FACEKIT_ASSIGN_OR_RETURN(const media::Frame* frame, in.GetOr<media::Frame>());
  Faces out;
  out.frame = *frame;
  DetectOptions options = options_;
  if (ctx.Degraded("small_detect_input")) {
    const int side = options.max_detect_side > 0 ? options.max_detect_side : std::max(frame->bgr.cols, frame->bgr.rows);
    options.max_detect_side = std::max(160, side / 2);
  }
  if (!frame->bgr.empty()) {
    FACEKIT_ASSIGN_OR_RETURN(std::vector<FaceBox> boxes, engine_->Detect(ToImage(frame->bgr), options));
    for (const FaceBox& b : boxes) {
      TrackedFace f;
      f.box = b;
      out.faces.push_back(std::move(f));
    }
  }
  return ctx.Output("faces", pipeline::Packet::Make<Faces>(std::move(out), in.timestamp()));
}

}  // namespace facekit::attendance
