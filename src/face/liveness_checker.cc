#include "face/liveness_checker.h"

#include <algorithm>
#include <cmath>

#include <opencv2/dnn.hpp>
#include <opencv2/imgproc.hpp>

namespace facekit::face {
namespace {

constexpr float kLiveScore = 87.f;  // the cloud API's DetectLiveFace threshold

// The package's crop: the box made square around its centre, then shifted
// back inside the image (clipped only when it is larger than the image).
cv::Rect SquareCrop(const FaceBox& f, int width, int height) {
  int side = static_cast<int>(std::lround(std::max(f.width, f.height)));
  side = std::max(1, std::min(side, std::min(width, height)));
  int x = static_cast<int>(std::lround(f.x + f.width / 2 - static_cast<float>(side) / 2));
  int y = static_cast<int>(std::lround(f.y + f.height / 2 - static_cast<float>(side) / 2));
  x = std::clamp(x, 0, width - side);
  y = std::clamp(y, 0, height - side);
  return {x, y, side, side};
}

}  // namespace

Result<std::unique_ptr<LivenessChecker>> LivenessChecker::Create(const runtime::ModelManifest& manifest) {
  const runtime::ManifestModel* m = manifest.FindRole("liveness");
  if (m == nullptr) return std::unique_ptr<LivenessChecker>();
  std::unique_ptr<LivenessChecker> c(new LivenessChecker());
  c->info_ = *m;
  for (int i = 0; i < 7; ++i) {
    auto it = m->outputs.find("route" + std::to_string(i));
    if (it == m->outputs.end()) return Status(StatusCode::kModelInvalid, m->name + " lacks output route" + std::to_string(i));
    c->routes_.push_back(it->second);
  }
  for (int i = 0; i < 8; ++i) {
    auto it = m->outputs.find("leaf" + std::to_string(i));
    if (it == m->outputs.end()) return Status(StatusCode::kModelInvalid, m->name + " lacks output leaf" + std::to_string(i));
    c->leaves_.push_back(it->second);
  }
  if (m->input_width <= 0) return Status(StatusCode::kModelInvalid, m->name + " needs a fixed input size");
  auto setting = [&](const char* key, double def) {
    auto it = m->settings.find(key);
    return it == m->settings.end() ? def : it->second;
  };
  c->route_threshold_ = setting("route_threshold", 0.0);
  c->spoof_threshold_ = setting("spoof_threshold", 0.2);
  c->blur_response_ = static_cast<int>(setting("blur_laplacian_response", 50));
  c->blur_min_pixels_ = static_cast<int>(setting("blur_min_pixels", 50));
  if (c->spoof_threshold_ <= 0) return Status(StatusCode::kModelInvalid, m->name + ": spoof_threshold must be > 0");
  FACEKIT_ASSIGN_OR_RETURN(c->model_, runtime::DnnModel::Load(manifest.FilePath(m->file)));
  return c;
}

float LivenessChecker::ScoreOf(float spoof) const {
  const double k = std::log(100.0 / kLiveScore) / spoof_threshold_;
  return static_cast<float>(100.0 * std::exp(-k * std::max(0.f, spoof)));
}

Result<LivenessResult> LivenessChecker::Check(const cv::Mat& rgb, const FaceBox& face) const {
  if (rgb.empty() || rgb.type() != CV_8UC3) return Status(StatusCode::kInvalidArgument, "liveness needs an 8-bit colour image");
  if (!(face.width > 0) || !(face.height > 0)) return Status(StatusCode::kInvalidArgument, "face box has no area");
  const int size = info_.input_width;
  cv::Mat crop;
  cv::resize(rgb(SquareCrop(face, rgb.cols, rgb.rows)), crop, cv::Size(size, size), 0, 0, cv::INTER_LINEAR);
  LivenessResult r;
  // Blur pre-check on grey = 0.3 R + 0.59 G + 0.11 B with the 4-neighbour Laplacian.
  for (int y = 1; y + 1 < size; ++y) {
    const cv::Vec3b* up = crop.ptr<cv::Vec3b>(y - 1);
    const cv::Vec3b* row = crop.ptr<cv::Vec3b>(y);
    const cv::Vec3b* down = crop.ptr<cv::Vec3b>(y + 1);
    auto grey = [](const cv::Vec3b& p) { return static_cast<int>(0.3 * p[0] + 0.59 * p[1] + 0.11 * p[2]); };
    for (int x = 1; x + 1 < size; ++x) {
      int lap = grey(up[x]) + grey(down[x]) + grey(row[x - 1]) + grey(row[x + 1]) - 4 * grey(row[x]);
      if (lap > blur_response_) ++r.sharp_pixels;
    }
  }
  r.too_blurry = r.sharp_pixels < blur_min_pixels_;
  cv::Mat blob = cv::dnn::blobFromImage(crop, info_.scale, cv::Size(), cv::Scalar::all(info_.mean), false, false, CV_32F);
  std::vector<std::string> names = routes_;
  names.insert(names.end(), leaves_.begin(), leaves_.end());
  FACEKIT_ASSIGN_OR_RETURN(std::vector<cv::Mat> out, model_->Run(blob, names));
  int node = 0;
  while (node < 7) {
    node = out[static_cast<size_t>(node)].ptr<float>()[0] >= route_threshold_ ? 2 * node + 1 : 2 * node + 2;
  }
  r.leaf = node - 7;
  r.spoof_score = std::fabs(out[7 + static_cast<size_t>(r.leaf)].ptr<float>()[0]);
  r.score = ScoreOf(r.spoof_score);
  r.is_live = !r.too_blurry && r.spoof_score < spoof_threshold_;
  return r;
}

}  // namespace facekit::face
