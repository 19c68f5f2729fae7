// attendance/node_util.h - helpers shared by the attendance nodes.
#pragma once

#include <string>

#include <opencv2/core.hpp>

#include "facekit/image.h"
#include "pipeline/node_context.h"

namespace facekit::attendance {

/// The node option "enabled": true/false or "on"/"off" (so that a graph can
/// write "enabled": "${liveness:-on}"). Default true. A node that is not
/// enabled passes its input through unchanged.
Result<bool> OptionEnabled(const pipeline::NodeContext& ctx);

/// A switch option `key`: true/false or "on"/"off" ("true"/"false"); `fallback` when absent.
Result<bool> OptionOnOff(const pipeline::NodeContext& ctx, const std::string& key, bool fallback);

/// A copy of a BGR cv::Mat as a facekit::Image.
Image ToImage(const cv::Mat& bgr);

}  // namespace facekit::attendance
