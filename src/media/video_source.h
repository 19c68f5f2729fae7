// media/video_source.h - "VideoSource": frames from a file, an image folder,
// a camera or a network stream (OpenCV VideoCapture).
//
// Options:
//   uri          a video file, a folder of images (read in name order), a camera
//                index ("0"), or a URL (rtsp://, http://) (required)
//   fps          frame rate of an image folder, and of a file whose container
//                does not state one (default 10)
//   interval_us  frame interval (default 0: as fast as the graph accepts); the
//                adaptive controller overrides it. Cameras should set one.
//   max_frames   stop after this many frames (default -1: no limit)
// Output "frames": Frame; the packet timestamp is pts_ms * 1000.
// A missing file or camera fails Open. The end of a file or folder ends the
// stream normally; a camera or stream that stops delivering ends it with a
// kIoError "source lost after N frames" (a source error, the run still ends).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <opencv2/videoio.hpp>

#include "media/frame.h"
#include "pipeline/node.h"

namespace facekit::media {

class VideoSource final : public pipeline::SourceNode {
 public:
  static pipeline::Contract GetContract() { return pipeline::Contract().Output<Frame>("frames"); }
  Status Open(pipeline::NodeContext& ctx) override;
  Status Process(pipeline::NodeContext& ctx) override;
  Status Close(pipeline::NodeContext& ctx) override;

 private:
  enum class Kind { kFile, kFolder, kLive };
  Kind kind_ = Kind::kFile;
  cv::VideoCapture capture_;
  std::vector<std::string> files_;
  double fps_ = 10;
  std::int64_t max_frames_ = -1;
  std::int64_t next_ = 0;
  std::int64_t start_us_ = 0;
};

}  // namespace facekit::media
