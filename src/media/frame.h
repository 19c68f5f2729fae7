// media/frame.h - the packet types of the media nodes.
//
// Frame: one decoded BGR picture and its position in the stream. Event: a
// JSON object (a check-in, an alert) that sinks write out. Both are immutable
// once in a Packet; a Frame shares its pixels (cv::Mat reference counting).
#pragma once

#include <cstdint>

#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>

#include "pipeline/packet.h"

namespace facekit::media {

struct Frame {
  cv::Mat bgr;               ///< CV_8UC3
  std::int64_t pts_ms = 0;   ///< position in the stream (file) or capture time (camera)
  std::int64_t index = 0;    ///< frame number from the source, from 0
};

struct Event {
  nlohmann::json json;  ///< an object with at least "type"
};

}  // namespace facekit::media

FACEKIT_PIPELINE_PACKET_TYPE(facekit::media::Frame, "Frame");
FACEKIT_PIPELINE_PACKET_TYPE(facekit::media::Event, "Event");
