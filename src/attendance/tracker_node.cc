#include "attendance/tracker_node.h"

#include "pipeline/node_options.h"

namespace facekit::attendance {

Status TrackerNode::Open(pipeline::NodeContext& ctx) {
  TrackerOptions o;
  FACEKIT_ASSIGN_OR_RETURN(o.iou_min, pipeline::OptionDouble(ctx, "iou_min", 0.3));
  FACEKIT_ASSIGN_OR_RETURN(o.max_centre_shift, pipeline::OptionDouble(ctx, "max_centre_shift", 0.5));
  FACEKIT_ASSIGN_OR_RETURN(std::int64_t missed, pipeline::OptionInt(ctx, "max_missed", 3, 0, 100000));
  FACEKIT_ASSIGN_OR_RETURN(o.recheck_ms, pipeline::OptionInt(ctx, "recheck_ms", 2000, 1));
  o.max_missed = static_cast<int>(missed);
  tracker_ = FaceTracker(o);
  return Status::Ok();
}

Status TrackerNode::Process(pipeline::NodeContext& ctx) {
  const pipeline::Packet& in = ctx.Input("faces");
  FACEKIT_ASSIGN_OR_RETURN(const Faces* faces, in.GetOr<Faces>());
  Faces out = *faces;
  std::vector<FaceBox> boxes;
  for (const TrackedFace& f : out.faces) boxes.push_back(f.box);
  const std::vector<TrackAssignment> ids = tracker_.Update(boxes, out.frame.pts_ms);
  for (std::size_t i = 0; i < ids.size(); ++i) {
    out.faces[i].track_id = ids[i].track_id;
    out.faces[i].check = ids[i].check;
  }
  return ctx.Output("faces", pipeline::Packet::Make<Faces>(std::move(out), in.timestamp()));
}

}  // namespace facekit::attendance
