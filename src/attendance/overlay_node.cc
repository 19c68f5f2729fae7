#include "attendance/overlay_node.h"

#include <algorithm>
#include <cstdio>

#include <opencv2/imgproc.hpp>

#include "attendance/node_util.h"

namespace facekit::attendance {

Status OverlayNode::Open(pipeline::NodeContext& ctx) {
  FACEKIT_ASSIGN_OR_RETURN(enabled_, OptionEnabled(ctx));
  return Status::Ok();
}

Status OverlayNode::Process(pipeline::NodeContext& ctx) {
  const pipeline::Packet& in = ctx.Input("faces");
  FACEKIT_ASSIGN_OR_RETURN(const Faces* faces, in.GetOr<Faces>());
  media::Frame out = faces->frame;
  if (enabled_ && !out.bgr.empty()) {
    out.bgr = out.bgr.clone();
    for (const TrackedFace& f : faces->faces) {
      const bool spoof = f.live.has_value() && !*f.live;
      const bool held = f.challenge_passed.has_value() && !*f.challenge_passed;
      const cv::Scalar colour = spoof || (held && f.challenge_prompt.empty())
                                    ? cv::Scalar(0, 0, 255)
                                    : (held ? cv::Scalar(0, 220, 220)
                                            : (f.person_id.empty() ? cv::Scalar(0, 160, 255) : cv::Scalar(0, 200, 0)));
      const cv::Rect box(static_cast<int>(f.box.x), static_cast<int>(f.box.y), static_cast<int>(f.box.width),
                         static_cast<int>(f.box.height));
      cv::rectangle(out.bgr, box, colour, 2);
      char score[16];
      std::snprintf(score, sizeof score, " %.0f", static_cast<double>(f.score));
      std::string label = f.person_id.empty() ? "#" + std::to_string(f.track_id)
                                              : (f.person_name.empty() ? f.person_id : f.person_name) + score;
      if (held) label += f.challenge_prompt.empty() ? " challenge failed" : " please " + f.challenge_prompt;
      cv::putText(out.bgr, label, cv::Point(box.x, std::max(12, box.y - 6)), cv::FONT_HERSHEY_SIMPLEX, 0.5, colour, 1);
    }
  }
  return ctx.Output("frames", pipeline::Packet::Make<media::Frame>(std::move(out), in.timestamp()));
}

}  // namespace facekit::attendance
