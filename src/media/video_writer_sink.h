// media/video_writer_sink.h - "VideoWriterSink": writes frames to a video file.
//
// Input "frames": Frame. Options: path (the file; "" = write nothing, so a
// graph can make the annotated video optional with "${annotated:-}"),
// fps (10), fourcc ("MJPG"; with .avi the safest choice for Debian's
// OpenCV). The size is that of the first frame; other sizes are resized.
#pragma once

#include <opencv2/videoio.hpp>

#include "media/frame.h"
#include "pipeline/node.h"

namespace facekit::media {

class VideoWriterSink final : public pipeline::Node {
 public:
  static pipeline::Contract GetContract() { return pipeline::Contract().Input<Frame>("frames"); }
  Status Open(pipeline::NodeContext& ctx) override;
  Status Process(pipeline::NodeContext& ctx) override;
  Status Close(pipeline::NodeContext& ctx) override;

 private:
  std::string path_, fourcc_;
  double fps_ = 10;
  cv::VideoWriter writer_;
  cv::Size size_;
};

}  // namespace facekit::media
