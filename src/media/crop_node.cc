#include "media/crop_node.h"

#include <algorithm>

#include <opencv2/imgproc.hpp>

#include "pipeline/node_options.h"

namespace facekit::media {

Status CentreCropNode::Open(pipeline::NodeContext& ctx) {
  FACEKIT_ASSIGN_OR_RETURN(fraction_, pipeline::OptionDouble(ctx, "fraction", 1.0));
  FACEKIT_ASSIGN_OR_RETURN(max_side_, pipeline::OptionInt(ctx, "max_side", 0, 0, 100000));
  if (!(fraction_ > 0 && fraction_ <= 1)) {
    return Status(StatusCode::kInvalidArgument, "node \"" + ctx.name() + "\" option \"fraction\": must be in (0, 1]");
  }
  return Status::Ok();
}

Status CentreCropNode::Process(pipeline::NodeContext& ctx) {
  const pipeline::Packet& in = ctx.Input("frames");
  FACEKIT_ASSIGN_OR_RETURN(const Frame* f, in.GetOr<Frame>());
  Frame out = *f;
  if (!out.bgr.empty()) {
    const int w = std::max(1, static_cast<int>(out.bgr.cols * fraction_));
    const int h = std::max(1, static_cast<int>(out.bgr.rows * fraction_));
    out.bgr = out.bgr(cv::Rect((out.bgr.cols - w) / 2, (out.bgr.rows - h) / 2, w, h));
    const int side = std::max(w, h);
    if (max_side_ > 0 && side > max_side_) {
      const double s = static_cast<double>(max_side_) / side;
      cv::Mat small;
      cv::resize(out.bgr, small, cv::Size(), s, s, cv::INTER_AREA);
      out.bgr = small;
    }
  }
  return ctx.Output("frames", pipeline::Packet::Make<Frame>(std::move(out), in.timestamp()));
}

}  // namespace facekit::media
