#include "eval/replay_set.h"

#include <algorithm>
#include <filesystem>

#include "facekit/image.h"
#include "image/image_internal.h"

namespace facekit::eval {
namespace {

namespace fs = std::filesystem;

// The deep-funneled LFW face: side 100 centred at (123, 126) of 250x250
// (the mean MTCNN box is 93x123 there).
const cv::Rect2f kLfwFace(73.f, 76.f, 100.f, 100.f);

std::vector<std::string> SortedFiles(const fs::path& dir, const std::vector<std::string>& extensions) {
  std::vector<std::string> files;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const std::string ext = e.path().extension().string();
    if (e.is_regular_file() && std::find(extensions.begin(), extensions.end(), ext) != extensions.end()) {
      files.push_back(e.path().string());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

// The image through FaceKit's decoder, which refuses truncated and corrupt
// files (OpenCV's imread returns what it could decode of a truncated JPEG).
Result<cv::Mat> Read(const std::string& path) {
  auto image = LoadImageFile(path);
  if (!image.ok()) return Status(image.status().code(), path + ": " + image.status().message());
  return AsMat(*image).clone();
}

}  // namespace

std::string_view ReplayHalfName(ReplayHalf half) { return half == ReplayHalf::kTuning ? "tuning" : "held-out"; }

Result<ReplaySet> ReplaySet::Create(const ReplaySetOptions& options, ReplayHalf half) {
  if (options.pairs < 1) return Status(StatusCode::kInvalidArgument, "a replay set needs at least one pair");
  if (!(options.min_face >= 24 && options.max_face >= options.min_face)) {
    return Status(StatusCode::kInvalidArgument, "face sizes must satisfy 24 <= min_face <= max_face");
  }
  if (options.size.width < 64 || options.size.height < 64) {
    return Status(StatusCode::kInvalidArgument, "frames must be at least 64x64");
  }
  ReplaySet set;
  set.options_ = options;
  set.half_ = half;
  const fs::path lfw = fs::path(options.data_dir) / "lfw-view1" / "deepfunneled";
  const fs::path coco = fs::path(options.data_dir) / "detection" / "coco128-train" / "images" / "train2017";
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(lfw, ec)) {
    if (e.is_directory()) names.push_back(e.path().string());
  }
  std::sort(names.begin(), names.end());
  const std::size_t parity = half == ReplayHalf::kTuning ? 0 : 1;
  for (std::size_t i = parity; i < names.size(); i += 2) {
    std::vector<std::string> photos = SortedFiles(names[i], {".jpg"});
    if (!photos.empty()) set.people_.push_back(std::move(photos));
  }
  const std::vector<std::string> images = SortedFiles(coco, {".jpg"});
  for (std::size_t i = parity; i < images.size(); i += 2) set.backgrounds_.push_back(images[i]);
  if (set.people_.empty()) return Status(StatusCode::kNotFound, "no LFW photos under " + lfw.string());
  if (set.backgrounds_.empty()) return Status(StatusCode::kNotFound, "no COCO images under " + coco.string());
  return set;
}

ReplaySet::Pick ReplaySet::PickFor(int pair) const {
  SceneRandom rng(SceneRandom::Derive(options_.seed,
                                      static_cast<std::uint64_t>(pair) * 2 + (half_ == ReplayHalf::kTuning ? 0 : 1)));
  Pick p;
  p.person = static_cast<std::size_t>(rng.Index(static_cast<int>(people_.size())));
  p.photo = static_cast<std::size_t>(rng.Index(static_cast<int>(people_[p.person].size())));
  p.background = static_cast<std::size_t>(rng.Index(static_cast<int>(backgrounds_.size())));
  p.face_side = rng.Uniform(options_.min_face, options_.max_face);
  const double d = rng.Uniform();
  p.device = d < 0.5 ? SceneKind::kPhone : d < 0.75 ? SceneKind::kTablet : SceneKind::kMonitor;
  return p;
}

std::string ReplaySet::Sources(int i) const {
  const Pick p = PickFor(i / 2);
  return "lfw:" + fs::path(people_[p.person][p.photo]).filename().string() +
         " coco:" + fs::path(backgrounds_[p.background]).filename().string();
}

Result<SceneFrame> ReplaySet::Frame(int i) const {
  if (i < 0 || i >= size()) return Status(StatusCode::kInvalidArgument, "frame index out of range");
  const int pair = i / 2;
  const Pick p = PickFor(pair);
  ScenePhoto photo;
  FACEKIT_ASSIGN_OR_RETURN(photo.bgr, Read(people_[p.person][p.photo]));
  photo.face = kLfwFace;
  FACEKIT_ASSIGN_OR_RETURN(cv::Mat background, Read(backgrounds_[p.background]));
  const std::uint64_t base =
      SceneRandom::Derive(options_.seed, 1000003ull * (pair + 1) + (half_ == ReplayHalf::kTuning ? 0 : 7));
  // The same stream for the scene's first draws (background crop, face
  // place) in both frames of the pair, then the same camera.
  SceneRandom scene(SceneRandom::Derive(base, 1));
  SceneFrame f = i % 2 == 0 ? RenderLiveScene(photo, background, p.face_side, scene, options_.size)
                            : RenderReplayScene(photo, background, p.face_side, p.device, scene, options_.size);
  SceneRandom camera(SceneRandom::Derive(base, 2));
  ApplyCamera(f.bgr, camera);
  return f;
}

}  // namespace facekit::eval
