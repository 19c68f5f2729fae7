#include "attendance/dedup_node.h"

#include "attendance/node_util.h"
#include "common/base64.h"
#include "pipeline/node_options.h"

namespace facekit::attendance {

Status DedupNode::Open(pipeline::NodeContext& ctx) {
  FACEKIT_ASSIGN_OR_RETURN(group_, pipeline::OptionString(ctx, "group", ""));
  FACEKIT_ASSIGN_OR_RETURN(double window_s, pipeline::OptionDouble(ctx, "window_s", 3600));
  if (window_s < 0) {
    return Status(StatusCode::kInvalidArgument, "node \"" + ctx.name() + "\" option \"window_s\": must not be negative");
  }
  window_ms_ = static_cast<std::int64_t>(window_s * 1000);
  FACEKIT_ASSIGN_OR_RETURN(face_jpeg_, OptionOnOff(ctx, "face_jpeg", true));
  FACEKIT_ASSIGN_OR_RETURN(std::int64_t side, pipeline::OptionInt(ctx, "face_jpeg_side", 160, 16, 1024));
  crop_.max_face_side = static_cast<int>(side);
  return Status::Ok();
}

Status DedupNode::Process(pipeline::NodeContext& ctx) {
  // Events of the nodes upstream (a challenge's evidence) pass through.
  if (ctx.HasInput("events")) return ctx.Output("events", ctx.Input("events"));
  const pipeline::Packet& in = ctx.Input("faces");
  FACEKIT_ASSIGN_OR_RETURN(const Faces* faces, in.GetOr<Faces>());
  const std::int64_t pts = faces->frame.pts_ms;
  for (const TrackedFace& f : faces->faces) {
    if (f.person_id.empty() || !f.Admitted()) continue;
    auto it = last_ms_.find(f.person_id);
    if (it != last_ms_.end() && pts - it->second < window_ms_) continue;
    last_ms_[f.person_id] = pts;
    media::Event e;
    e.json = {{"type", "checkin"},   {"person_id", f.person_id}, {"person_name", f.person_name},
              {"group_id", group_},  {"score", f.score},         {"pts_ms", pts},
              {"track_id", f.track_id}};
    e.json["live"] = f.live.has_value() ? nlohmann::json(*f.live) : nlohmann::json(nullptr);
    if (!f.challenge.is_null()) e.json["challenge"] = f.challenge;
    if (face_jpeg_) {
      // The check-in counts more than its picture: without a crop (a box off
      // the frame) the event goes out without face_jpeg.
      auto jpeg = FaceCropJpeg(faces->frame.bgr, f.box, crop_);
      if (jpeg.ok()) e.json["face_jpeg"] = Base64Encode(*jpeg);
    }
    FACEKIT_RETURN_IF_ERROR(ctx.Output("events", pipeline::Packet::Make<media::Event>(std::move(e), in.timestamp())));
  }
  return Status::Ok();
}

}  // namespace facekit::attendance
