#include "attendance/node_util.h"

#include <cstring>

namespace facekit::attendance {

Result<bool> OptionEnabled(const pipeline::NodeContext& ctx) { return OptionOnOff(ctx, "enabled", true); }

Result<bool> OptionOnOff(const pipeline::NodeContext& ctx, const std::string& key, bool fallback) {
  const auto it = ctx.options().find(key);
  if (it == ctx.options().end()) return fallback;
  if (it->is_boolean()) return it->get<bool>();
  if (it->is_string()) {
    const std::string v = it->get<std::string>();
    if (v == "on" || v == "true") return true;
    if (v == "off" || v == "false") return false;
  }
  return Status(StatusCode::kInvalidArgument,
                "node \"" + ctx.name() + "\" option \"" + key + "\": expected true, false, \"on\" or \"off\", got " +
                    it->dump());
}

Image ToImage(const cv::Mat& bgr) {
  Image image;
  const cv::Mat m = bgr.isContinuous() ? bgr : bgr.clone();
  image.width = m.cols;
  image.height = m.rows;
  image.bgr.resize(static_cast<std::size_t>(m.cols) * static_cast<std::size_t>(m.rows) * 3);
  if (!image.bgr.empty()) std::memcpy(image.bgr.data(), m.data, image.bgr.size());
  return image;
}

}  // namespace facekit::attendance
