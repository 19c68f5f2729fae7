#include "attendance/liveness_node.h"

#include "attendance/node_util.h"
#include "pipeline/node_options.h"

namespace facekit::attendance {

Status LivenessNode::Open(pipeline::NodeContext& ctx) {
  FACEKIT_ASSIGN_OR_RETURN(engine_, engines_->Get());
  FACEKIT_ASSIGN_OR_RETURN(enabled_, OptionEnabled(ctx));
  FACEKIT_ASSIGN_OR_RETURN(skip_verified_, pipeline::OptionBool(ctx, "skip_verified", false));
  return Status::Ok();
}

Status LivenessNode::Process(pipeline::NodeContext& ctx) {
  const pipeline::Packet& in = ctx.Input("faces");
  if (!enabled_) return ctx.Output("faces", in);
  FACEKIT_ASSIGN_OR_RETURN(const Faces* faces, in.GetOr<Faces>());
  Faces out = *faces;
  const bool skip_verified = skip_verified_ || ctx.Degraded("skip_liveness_verified");
  Image image;
  for (TrackedFace& f : out.faces) {
    auto it = verdicts_.find(f.track_id);
    const bool known = it != verdicts_.end();
    const bool run = !known || (f.check && !(skip_verified && it->second.live));
    if (run) {
      if (image.empty()) image = ToImage(out.frame.bgr);
      FACEKIT_ASSIGN_OR_RETURN(LivenessResult r, engine_->Liveness(image, f.box));
      it = verdicts_.insert_or_assign(f.track_id, Verdict{r.is_live, r.score, 0}).first;
    }
    it->second.seen_ms = out.frame.pts_ms;
    f.live = it->second.live;
    f.live_score = it->second.score;
  }
  std::erase_if(verdicts_, [&](const auto& v) { return out.frame.pts_ms - v.second.seen_ms > kForgetTrackMs; });
  return ctx.Output("faces", pipeline::Packet::Make<Faces>(std::move(out), in.timestamp()));
}

}  // namespace facekit::attendance
