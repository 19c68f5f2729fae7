#include "media/video_source.h"

#include <algorithm>
#include <cctype>
#include <filesystem>

#include <opencv2/imgcodecs.hpp>

#include "pipeline/node_options.h"

namespace facekit::media {

namespace {

bool IsImageFile(const std::filesystem::path& p) {
  std::string ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return ext == ".jpg" || ext == ".jpeg" || ext == ".png" || ext == ".bmp" || ext == ".webp";
}

bool IsCameraIndex(const std::string& s) {
  return !s.empty() && s.size() < 4 && std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); });
}

}  // namespace

Status VideoSource::Open(pipeline::NodeContext& ctx) {
  namespace fs = std::filesystem;
  const std::string where = "node \"" + ctx.name() + "\"";
  FACEKIT_ASSIGN_OR_RETURN(std::string uri, pipeline::OptionString(ctx, "uri", ""));
  FACEKIT_ASSIGN_OR_RETURN(fps_, pipeline::OptionDouble(ctx, "fps", 10));
  FACEKIT_ASSIGN_OR_RETURN(std::int64_t interval, pipeline::OptionInt(ctx, "interval_us", 0, 0));
  FACEKIT_ASSIGN_OR_RETURN(max_frames_, pipeline::OptionInt(ctx, "max_frames", -1, -1));
  if (uri.empty()) return Status(StatusCode::kInvalidArgument, where + " option \"uri\": required");
  if (fps_ <= 0) return Status(StatusCode::kInvalidArgument, where + " option \"fps\": must be positive");
  SetFrameInterval(interval);
  std::error_code ec;
  if (IsCameraIndex(uri)) {
    kind_ = Kind::kLive;
    if (!capture_.open(std::stoi(uri))) return Status(StatusCode::kNotFound, where + ": cannot open camera " + uri);
  } else if (uri.find("://") != std::string::npos) {
    kind_ = Kind::kLive;
    if (!capture_.open(uri)) return Status(StatusCode::kNotFound, where + ": cannot open stream " + uri);
  } else if (fs::is_directory(uri, ec)) {
    kind_ = Kind::kFolder;
    for (const auto& e : fs::directory_iterator(uri, ec)) {
      if (e.is_regular_file() && IsImageFile(e.path())) files_.push_back(e.path().string());
    }
    std::sort(files_.begin(), files_.end());
  } else {
    kind_ = Kind::kFile;
    if (!fs::is_regular_file(uri, ec)) return Status(StatusCode::kNotFound, where + ": no such video file " + uri);
    if (!capture_.open(uri)) return Status(StatusCode::kIoError, where + ": cannot decode video file " + uri);
    const double fps = capture_.get(cv::CAP_PROP_FPS);
    if (fps > 0 && fps < 1000) fps_ = fps;
  }
  start_us_ = ctx.NowMicros();
  return Status::Ok();
}

Status VideoSource::Process(pipeline::NodeContext& ctx) {
  if (max_frames_ >= 0 && next_ >= max_frames_) {
    ctx.EndOfStream();
    return Status::Ok();
  }
  Frame frame;
  frame.index = next_;
  if (kind_ == Kind::kFolder) {
    if (next_ >= static_cast<std::int64_t>(files_.size())) {
      ctx.EndOfStream();
      return Status::Ok();
    }
    frame.bgr = cv::imread(files_[static_cast<std::size_t>(next_)], cv::IMREAD_COLOR);
    if (frame.bgr.empty()) {
      return Status(StatusCode::kIoError, "cannot decode " + files_[static_cast<std::size_t>(next_)]);
    }
  } else if (!capture_.read(frame.bgr) || frame.bgr.empty()) {
    if (kind_ == Kind::kFile) {
      ctx.EndOfStream();
      return Status::Ok();
    }
    return Status(StatusCode::kIoError, "source lost after " + std::to_string(next_) + " frames");
  }
  if (kind_ == Kind::kLive) {
    frame.pts_ms = (ctx.NowMicros() - start_us_) / 1000;
  } else {
    frame.pts_ms = static_cast<std::int64_t>(static_cast<double>(next_) * 1000.0 / fps_ + 0.5);
  }
  const std::int64_t ts = frame.pts_ms * 1000;
  ++next_;
  return ctx.Output("frames", pipeline::Packet::Make<Frame>(std::move(frame), ts));
}

Status VideoSource::Close(pipeline::NodeContext& /*ctx*/) {
  capture_.release();
  return Status::Ok();
}

}  // namespace facekit::media
