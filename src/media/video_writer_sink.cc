#include "media/video_writer_sink.h"

#include <opencv2/imgproc.hpp>

#include "pipeline/node_options.h"

namespace facekit::media {

Status VideoWriterSink::Open(pipeline::NodeContext& ctx) {
  FACEKIT_ASSIGN_OR_RETURN(path_, pipeline::OptionString(ctx, "path", ""));
  FACEKIT_ASSIGN_OR_RETURN(fps_, pipeline::OptionDouble(ctx, "fps", 10));
  FACEKIT_ASSIGN_OR_RETURN(fourcc_, pipeline::OptionString(ctx, "fourcc", "MJPG"));
  if (fourcc_.size() != 4) {
    return Status(StatusCode::kInvalidArgument, "node \"" + ctx.name() + "\" option \"fourcc\": expected 4 characters");
  }
  if (fps_ <= 0) return Status(StatusCode::kInvalidArgument, "node \"" + ctx.name() + "\" option \"fps\": must be positive");
  return Status::Ok();
}

Status VideoWriterSink::Process(pipeline::NodeContext& ctx) {
  if (path_.empty()) return Status::Ok();
  FACEKIT_ASSIGN_OR_RETURN(const Frame* f, ctx.Input("frames").GetOr<Frame>());
  if (f->bgr.empty()) return Status::Ok();
  if (!writer_.isOpened()) {
    size_ = f->bgr.size();
    const int code = cv::VideoWriter::fourcc(fourcc_[0], fourcc_[1], fourcc_[2], fourcc_[3]);
    if (!writer_.open(path_, code, fps_, size_)) {
      return Status(StatusCode::kIoError, "cannot write video " + path_ + " (fourcc " + fourcc_ + ")");
    }
  }
  if (f->bgr.size() == size_) {
    writer_.write(f->bgr);
  } else {
    cv::Mat resized;
    cv::resize(f->bgr, resized, size_);
    writer_.write(resized);
  }
  return Status::Ok();
}

Status VideoWriterSink::Close(pipeline::NodeContext& /*ctx*/) {
  writer_.release();
  return Status::Ok();
}

}  // namespace facekit::media
